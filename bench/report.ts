import type { ModesResult, Results } from './run.js';
import type { IdleScale } from './scenarios/idle-scale.js';

const rate = (value: number) => `${Math.round(value).toLocaleString('en-US')}/s`;
const ratio = (value: number, ceiling: number) => `${Math.round((100 * value) / ceiling)} %`;
const times = (value: number, of: number) => `${(value / of).toFixed(1)}×`;
const ms = (value: number) => `${value.toFixed(2)} ms`;
const kb = (bytes: number) => `${(bytes / 1_024).toFixed(1)} KB`;

function idleRow(design: string, row: IdleScale): string {
  if (row.broke) {
    return `| ${row.waiting.toLocaleString('en-US')} | ${design} | broke: ${row.broke} | | | | |`;
  }
  return (
    `| ${row.waiting.toLocaleString('en-US')} | ${design} | ${row.redisConnections} | ${row.failed} | ` +
    `${kb(row.heapPerPollBytes)} | ${kb(row.rssPerPollBytes)} | ${row.wakeUp.count ? ms(row.wakeUp.p99) : "n/a"} |`
  );
}

const brokers = [
  ['memory', 'memory'],
  ['redis', 'Redis'],
] as const;
const deliveries = [
  ['atMostOnce', 'at-most-once'],
  ['atLeastOnce', 'at-least-once'],
] as const;

/** Rows of the batch table: each broker and delivery mode measured with batches at this connection count. */
function batchRows(row: ModesResult): string[] {
  return brokers.flatMap(([broker, brokerName]) =>
    deliveries.flatMap(([delivery, deliveryName]) => {
      const { single, batch } = row[broker][delivery];
      return batch === undefined
        ? []
        : [
            `| ${row.connections} | ${brokerName} | ${deliveryName} | ${rate(row.ceiling)} | ${rate(single)} | ${rate(batch)} | ` +
              `${times(batch, row.ceiling)} | ${times(batch, single)} |`,
          ];
    }),
  );
}

/** The figures as Markdown tables, for BENCHMARKS.md. */
export function renderTable(results: Results): string {
  const { machine } = results;
  const lines = [
    `Run ${results.date}${results.quick ? ' (quick smoke: not figures to quote)' : ''} on ${machine.cores} × ${machine.cpus}, ` +
      `${machine.memoryGiB} GiB, Node ${machine.node}, Redis ${machine.redis}.`,
    '',
    '| pollers | ceiling (bare route) | memory broker | Redis broker | naive (BLPOP connection per poll) |',
    '|---|---|---|---|---|',
    ...results.throughput.map(
      (row) =>
        `| ${row.connections} | ${rate(row.ceiling)} | ${rate(row.memory)} (${ratio(row.memory, row.ceiling)}) | ` +
        `${rate(row.redis)} (${ratio(row.redis, row.ceiling)}) | ${rate(row.naive)} (${ratio(row.naive, row.ceiling)}) |`,
    ),
    '',
    'The same on Fastify (its own bare-route ceiling):',
    '',
    '| pollers | ceiling (bare route) | memory broker | Redis broker |',
    '|---|---|---|---|',
    ...results.fastify.map(
      (row) =>
        `| ${row.connections} | ${rate(row.ceiling)} | ${rate(row.memory)} (${ratio(row.memory, row.ceiling)}) | ` +
        `${rate(row.redis)} (${ratio(row.redis, row.ceiling)}) |`,
    ),
    '',
    'Both delivery modes on Express (at least once, each poll acknowledges the previous message with `?ack=`):',
    '',
    '| pollers | memory at-most-once | memory at-least-once | Redis at-most-once | Redis at-least-once | at-least-once / at-most-once on Redis |',
    '|---|---|---|---|---|---|',
    ...results.modes.map(
      ({ connections, memory, redis }) =>
        `| ${connections} | ${rate(memory.atMostOnce.single)} | ${rate(memory.atLeastOnce.single)} | ` +
        `${rate(redis.atMostOnce.single)} | ${rate(redis.atLeastOnce.single)} | ${ratio(redis.atLeastOnce.single, redis.atMostOnce.single)} |`,
    ),
    '',
    `Batch polls (\`?max=${results.batchMax}\`, messages counted one by one) against single polls and the ceiling, on Express, ` +
      'with every queue holding a backlog throughout:',
    '',
    `| pollers | broker | delivery | ceiling (bare route) | single polls | max=${results.batchMax} | ` +
      `max=${results.batchMax} / ceiling | max=${results.batchMax} / single polls |`,
    '|---|---|---|---|---|---|---|---|',
    ...results.modes.flatMap(batchRows),
    '',
    `The cost of \`metrics: true\` (Prometheus, prom-client), at most once on Express, ${results.metricsCost.connections} pollers, ` +
      'the same app with the metrics off and on in each round:',
    '',
    '| broker | metrics off | metrics on | on / off |',
    '|---|---|---|---|',
    ...brokers.map(([broker, brokerName]) => {
      const { off, on } = results.metricsCost[broker];
      return `| ${brokerName} | ${rate(off)} | ${rate(on)} | ${ratio(on, off)} |`;
    }),
    '',
    `Publish → receive latency at ${rate(results.latency.rate)} over ${results.latency.endpoints} endpoints:`,
    '',
    '| broker | delivery | p50 | p90 | p99 | max | messages |',
    '|---|---|---|---|---|---|---|',
    ...brokers.flatMap(([broker]) =>
      deliveries.map(([delivery, deliveryName]) => {
        const { p50, p90, p99, max, count } = delivery === 'atMostOnce' ? results.latency[broker] : results.latency.atLeastOnce[broker];
        return `| ${broker} | ${deliveryName} | ${ms(p50)} | ${ms(p90)} | ${ms(p99)} | ${ms(max)} | ${count} |`;
      }),
    ),
    '',
    '| waiting polls | design | Redis connections | failed | heap / poll | RSS / poll | wake-up p99 (1,000 woken) |',
    '|---|---|---|---|---|---|---|',
    ...results.idle.module.flatMap((module, i) => [
      idleRow('module', module),
      idleRow('naive', results.idle.naive[i]),
      idleRow('bare request (framework only)', results.idle.bare[i]),
    ]),
    '',
    `Redis itself: RPUSH ${rate(results.redisCeiling.rpush)}, LPOP ${rate(results.redisCeiling.lpop)} (redis-benchmark, ` +
      `50 clients); one RPUSH producer and one BLPOP consumer: ${rate(results.redisCeiling.producerConsumerPair)}.`,
    '',
  ];
  return lines.join('\n');
}

/** Two bar charts in one SVG: throughput against the ceiling, and latency percentiles. */
export function renderChart(results: Results): string {
  const width = 720;
  const bar = 18;
  const parts: string[] = [];
  let y = 30;
  const title = (text: string) => {
    parts.push(`<text x="10" y="${y}" font-size="15" font-weight="bold">${text}</text>`);
    y += 16;
  };
  const row = (label: string, value: number, max: number, text: string, color: string) => {
    const length = Math.max(1, (value / max) * (width - 330));
    parts.push(
      `<text x="10" y="${y + 13}" font-size="12">${label}</text>`,
      `<rect x="200" y="${y}" width="${length.toFixed(1)}" height="${bar - 4}" fill="${color}"/>`,
      `<text x="${(205 + length).toFixed(1)}" y="${y + 13}" font-size="12">${text}</text>`,
    );
    y += bar;
  };
  title('Delivered messages per second, against the bare-route ceiling');
  const top = Math.max(...[...results.throughput, ...results.fastify].map((result) => result.ceiling));
  const adapterRows = (adapter: string, result: (typeof results.fastify)[number] & { naive?: number }) => {
    const label = `${result.connections} pollers, ${adapter}`;
    row(`${label}: ceiling`, result.ceiling, top, rate(result.ceiling), '#8c959f');
    row(`${label}: memory`, result.memory, top, rate(result.memory), '#1f883d');
    row(`${label}: Redis`, result.redis, top, rate(result.redis), '#0969da');
    if (result.naive !== undefined) {
      row(`${label}: naive`, result.naive, top, rate(result.naive), '#cf222e');
    }
    y += 6;
  };
  results.throughput.forEach((result, i) => {
    adapterRows('Express', result);
    adapterRows('Fastify', results.fastify[i]);
  });
  y += 20;
  title(`Publish → receive latency at ${rate(results.latency.rate)} (ms)`);
  const slowest = Math.max(results.latency.memory.p99, results.latency.redis.p99, 0.001);
  for (const broker of ['memory', 'redis'] as const) {
    for (const percentile of ['p50', 'p90', 'p99'] as const) {
      const value = results.latency[broker][percentile];
      row(`${broker} ${percentile}`, value, slowest, ms(value), broker === 'memory' ? '#1f883d' : '#0969da');
    }
  }
  const height = y + 20;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
