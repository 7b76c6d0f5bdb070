import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Every figure of a results.json, with its path: each must be a number the run measured. */
function figures(value: unknown, path = ''): [string, unknown][] {
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, inner]) => figures(inner, `${path}.${key}`));
  }
  return [[path, value]];
}

describe('The benchmark', () => {
  it('runs every scenario in its quick form and writes numbers for each (how fast is not checked)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pistachio-bench-'));
    await promisify(execFile)('npm', ['run', 'bench', '--', '--quick', '--out', out], {
      cwd: new URL('../..', import.meta.url),
    });

    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const numbers = figures({
      throughput: results.throughput,
      fastify: results.fastify,
      modes: results.modes,
      metricsCost: results.metricsCost,
      latency: results.latency,
      idle: results.idle,
      redisCeiling: results.redisCeiling,
    });
    expect(numbers.filter(([, value]) => typeof value !== 'number' || !Number.isFinite(value))).toEqual([]);
    expect(results.throughput[0]).toMatchObject({ connections: 64 });
    expect(results.fastify[0]).toMatchObject({ connections: 64 });
    // Both delivery modes on both brokers, single polls and batches, at-least-once latency, metrics off and on.
    const deliveryFigures = figures({
      modes: results.modes,
      atLeastOnceLatency: results.latency.atLeastOnce,
      metricsCost: results.metricsCost,
    });
    expect(deliveryFigures.filter(([, value]) => !((value as number) > 0))).toEqual([]);
    expect(figures(results.modes[0]).filter(([path]) => path.endsWith('.batch'))).toHaveLength(4);
    expect(results.batchMax).toBe(10);
    expect(results.idle.module.length).toBeGreaterThan(0);
    expect(results.idle.naive.length).toBe(results.idle.module.length);
    const table = readFileSync(join(out, 'results.md'), 'utf8');
    expect(table).toContain('| pollers |');
    expect(table).toContain('| pollers | memory at-most-once |');
    expect(table).toContain('| pollers | broker | delivery |');
    expect(table).toContain('| broker | metrics off | metrics on | on / off |');
    expect(readFileSync(join(out, 'chart.svg'), 'utf8')).toMatch(/^<svg/);
  }, 240_000);
});
