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

const repo = new URL('../..', import.meta.url);
let built = false;

/** Runs the bench as `npm run bench -- <args>` does; the first run builds it, the later ones reuse that build. */
async function bench(args: string[]): Promise<void> {
  const [command, prefix] = built ? [process.execPath, ['bench/dist/bench/run.js']] : ['npm', ['run', 'bench', '--']];
  await promisify(execFile)(command, [...prefix, ...args], { cwd: repo });
  built = true;
}

describe('The benchmark', () => {
  it('runs every scenario in its quick form and writes numbers for each (how fast is not checked)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pistachio-bench-'));
    await bench(['--quick', '--out', out]);

    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const numbers = figures({
      throughput: results.throughput,
      fastify: results.fastify,
      modes: results.modes,
      metricsCost: results.metricsCost,
      latency: results.latency,
      idle: results.idle,
      broadcast: results.broadcast,
      redisCeiling: results.redisCeiling,
    });
    // The broadcast rows' labels aside.
    const labels = /\.(broker|design)$/;
    expect(numbers.filter(([path, value]) => !labels.test(path) && (typeof value !== 'number' || !Number.isFinite(value)))).toEqual([]);
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
    // Broadcast next to queues, on both brokers: every waiting client answered, every message to every subscriber.
    const { fanout, steady } = results.broadcast;
    expect(fanout.map(({ broker, design }: { broker: string; design: string }) => `${broker} ${design}`)).toEqual([
      'memory channel',
      'memory queues',
      'redis channel',
      'redis queues',
    ]);
    for (const row of fanout) {
      expect(row).toMatchObject({ clients: 300, waiting: 300, answered: 300 });
      expect(row.answers.max).toBeGreaterThanOrEqual(row.first);
    }
    // The app's two connections on Redis (commands and the wake-up subscriber, shared by its registrations) however
    // many wait; none in memory.
    expect(fanout.map((row: { redisConnections: number }) => row.redisConnections)).toEqual([0, 0, 2, 2]);
    expect(steady.runs).toHaveLength(4);
    // Answers with Pistachio-Gap are counted in the table, not checked: what counts is that no message went missing.
    for (const row of steady.runs) {
      expect(row).toMatchObject({ clients: 200, delivered: row.expected, missing: 0, late: 0, duplicates: 0, errors: 0 });
      const { rate, warmup, seconds, subscribersPerChannel } = steady.plan;
      expect(row.expected).toBe(rate * (warmup + seconds) * subscribersPerChannel);
    }
    const table = readFileSync(join(out, 'results.md'), 'utf8');
    expect(table).toContain('| pollers |');
    expect(table).toContain('| pollers | memory at-most-once |');
    expect(table).toContain('| pollers | broker | delivery |');
    expect(table).toContain('| broker | metrics off | metrics on | on / off |');
    expect(table).toContain('| waiting clients | broker | design | answered |');
    expect(table).toContain('| design | broker | clients | publishes |');
    expect(readFileSync(join(out, 'chart.svg'), 'utf8')).toMatch(/^<svg/);
  }, 300_000);

  it('runs the delivery core scenario in its quick form, on one Redis and on a Cluster', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pistachio-bench-'));
    await bench(['--only', 'core', '--quick', '--out', out]);

    const results = JSON.parse(readFileSync(join(out, 'core.json'), 'utf8'));
    expect(figures(results).filter(([path, value]) => typeof value !== 'number' && !/\.(date|quick|delivery|store|adapter|address|cpus|node|redis)$/.test(path))).toEqual([]);
    expect(results.commands.map(({ delivery }: { delivery: string }) => delivery)).toEqual(['at-most-once', 'at-least-once']);
    for (const cost of results.commands) {
      expect(cost.delivered).toBeGreaterThan(0);
      expect(cost.sent.perMessage).toBeGreaterThan(0);
      expect(cost.executed.perMessage).toBeGreaterThanOrEqual(cost.sent.perMessage);
    }
    // Every waiting poll woken where it was published to, on one Redis and on the Cluster.
    for (const { result } of results.wakeUp) {
      expect(result).toMatchObject({ waiting: 200, failed: 0, redisConnections: expect.any(Number) });
      expect(result.wakeUp.count).toBe(200);
    }
    expect(results.throughput[0].median.redis).toBeGreaterThan(0);
    expect(results.throughput[0].median.cluster).toBeGreaterThan(0);
    expect(results.spread.masters).toHaveLength(3);
    expect(readFileSync(join(out, 'core.md'), 'utf8')).toContain('| delivery | sent per message | run per message |');
  }, 300_000);

  it('runs the pages scenario in its quick form: single polls and multiplexed polls, with a figure for each', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pistachio-bench-'));
    await bench(['--only', 'pages', '--quick', '--out', out]);

    const { pages } = JSON.parse(readFileSync(join(out, 'pages.json'), 'utf8'));
    expect(pages.map(({ design, subscriptions }: { design: string; subscriptions: number }) => `${subscriptions} ${design}`)).toEqual([
      '4 single polls',
      '4 multiplexed',
      '16 single polls',
      '16 multiplexed',
    ]);
    for (const cost of pages) {
      expect(cost.delivered).toBeGreaterThan(0);
      expect(cost.requestsPerMessage).toBeGreaterThan(0);
      expect(cost.cpuPerMessageUs).toBeGreaterThan(0);
      // A connection per subscription, or one per page.
      expect(cost.connections).toBe(cost.design === 'multiplexed' ? 16 : 16 * cost.subscriptions);
    }
    expect(readFileSync(join(out, 'pages.md'), 'utf8')).toContain('| pages × subscriptions | design |');
  }, 300_000);

  it('runs the queue features scenario in its quick form: each publish option beside a plain publish, receives of expiring messages, and delayed messages due at once', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pistachio-bench-'));
    await bench(['--only', 'queue', '--quick', '--out', out]);

    const { publishes, takes, due } = JSON.parse(readFileSync(join(out, 'queue.json'), 'utf8'));
    expect(publishes.map(({ store, variant }: { store: string; variant: string }) => `${store} ${variant}`)).toEqual([
      'memory plain',
      'memory deduplicationId',
      'memory delay',
      'memory ttl',
      'memory deduplicationId + delay',
      'redis plain',
      'redis deduplicationId',
      'redis delay',
      'redis ttl',
      'redis deduplicationId + delay',
    ]);
    expect(takes.map(({ store, variant }: { store: string; variant: string }) => `${store} ${variant}`)).toEqual([
      'memory plain',
      'memory ttl',
      'redis plain',
      'redis ttl',
    ]);
    for (const cost of [...publishes, ...takes]) {
      expect(cost.appUs).toBeGreaterThan(0);
      expect(cost.relative).toBeGreaterThan(0);
    }
    expect(due.map(({ store, messages }: { store: string; messages: number }) => `${store} ${messages}`)).toEqual(['memory 2000', 'redis 2000']);
    for (const { drainSeconds } of due) {
      expect(drainSeconds).toBeGreaterThanOrEqual(0);
    }
    expect(readFileSync(join(out, 'queue.md'), 'utf8')).toContain('| store | publish | app CPU | Redis CPU |');
  }, 300_000);

  it('runs the streams scenario in its quick form: streams beside long polls, one message to many and a steady rate', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pistachio-bench-'));
    await bench(['--only', 'streams', '--quick', '--out', out]);

    const { fanout, steady, nchan } = JSON.parse(readFileSync(join(out, 'streams.json'), 'utf8'));
    expect(fanout.streams).toHaveLength(1);
    expect(fanout.streams[0]).toMatchObject({ server: 'ours', store: 'redis', streams: 200, received: 200 });
    expect(fanout.polls[0]).toMatchObject({ broker: 'redis', clients: 200, answered: 200 });
    const { channels, subscribersPerChannel } = steady.plan;
    expect(steady.streams[0]).toMatchObject({ server: 'ours', streams: channels * subscribersPerChannel, missing: 0, duplicates: 0, late: 0 });
    expect(steady.streams[0].delivered).toBe(steady.streams[0].expected);
    expect(steady.streams[0].cpuPerEventMicros).toBeGreaterThan(0);
    expect(steady.polls[0]).toMatchObject({ missing: 0, duplicates: 0, late: 0 });
    expect(nchan).toEqual({ skipped: 'the quick run does not need Nchan' });
    expect(readFileSync(join(out, 'streams.md'), 'utf8')).toContain('| clients | server | store | transport | got it |');
  }, 300_000);

  it('runs the intake scenario in its quick form: the holding servers and the module on both adapters and brokers, and on the direct route, every poll held', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pistachio-bench-'));
    await bench(['--only', 'intake', '--quick', '--out', out]);

    const { plan, rows } = JSON.parse(readFileSync(join(out, 'intake.json'), 'utf8'));
    expect(plan).toEqual({ count: 500, group: 250, rounds: 1, direct: ['memory'] });
    type Row = { server: string; adapter?: string; store?: string; direct?: boolean; backlog?: number };
    const name = ({ server, adapter, store, direct, backlog }: Row) => [server, adapter, store, direct && 'direct', backlog].filter(Boolean).join(' ');
    expect(rows.map(name)).toEqual([
      'node',
      'nest express',
      'nest fastify',
      'module express memory',
      'module fastify memory',
      'module express redis',
      'module fastify redis',
      'module express memory direct',
      'module fastify memory direct',
      'module express memory 4096',
      'module fastify memory 4096',
    ]);
    for (const row of rows) {
      expect(row.rounds).toHaveLength(1);
      expect(row.median).toMatchObject({ count: 500, written: 500, held: 500, errors: 0, answered: 0 });
      expect(figures(row.median).filter(([, value]) => typeof value !== 'number' || !Number.isFinite(value))).toEqual([]);
      expect(row.median.heldSeconds).toBeGreaterThanOrEqual(row.median.seconds);
      expect(row.median.listenOverflows).toBeGreaterThanOrEqual(0);
      // The module's rows alone are set beside the bare Nest app.
      expect(row.versusBare === undefined).toBe(row.server !== 'module');
    }
    const ratios = rows.flatMap((row: { versusBare?: object }) => (row.versusBare ? figures(row.versusBare) : [])) as [string, unknown][];
    expect(ratios.filter(([, value]) => !(Number.isFinite(value) && (value as number) > 0))).toEqual([]);
    expect(readFileSync(join(out, 'intake.md'), 'utf8')).toContain(
      '| server | adapter | store | backlog | intake (s) | all held (s) | CPU (s) | listen overflows | × bare Nest |',
    );
  }, 300_000);
});
