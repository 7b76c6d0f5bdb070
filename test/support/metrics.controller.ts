import { Controller, Get, Header, Type } from '@nestjs/common';
import type { Registry } from 'prom-client';

/** An app's `/metrics` route over a prom-client registry, as an app serves it to Prometheus. */
export function metricsController(registry: Registry): Type {
  @Controller()
  class MetricsController {
    @Get('metrics')
    @Header('Content-Type', registry.contentType)
    metrics(): Promise<string> {
      return registry.metrics();
    }
  }
  return MetricsController;
}

/** The value of one series in a Prometheus text exposition, or undefined when it is not there. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
