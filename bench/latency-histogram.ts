import * as hdr from 'hdr-histogram-js';

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Latencies in milliseconds, kept in an HdrHistogram at microsecond resolution. */
export class LatencyHistogram {
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000 });

  record(milliseconds: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(milliseconds * 1_000)));
  }

  percentiles(): Percentiles {
    const at = (percentile: number) => this.histogram.getValueAtPercentile(percentile) / 1_000;
    return { count: this.histogram.totalCount, p50: at(50), p90: at(90), p99: at(99), max: this.histogram.maxValue / 1_000 };
  }
}
