import { count, kb, micros, ms, rate, ratio, times } from './format.js';
import { renderPeer } from './peer/report.js';
import type { BroadcastResults, ModesResult, Results } from './run.js';
import type { Fanout } from './scenarios/broadcast-fanout.js';
import type { Steady } from './scenarios/broadcast-steady.js';
import type { IdleScale } from './scenarios/idle-scale.js';


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

/** The first line of a run's tables: when, where, and whether its figures are to quote. */
export function runLine({ date, quick, machine }: Pick<Results, 'date' | 'quick' | 'machine'>): string {
  return (
    `Run ${date}${quick ? ' (quick smoke: not figures to quote)' : ''} on ${machine.cores} × ${machine.cpus}, ` +
    `${machine.memoryGiB} GiB, Node ${machine.node}, Redis ${machine.redis}.`
  );
}

const brokerName = (broker: 'memory' | 'redis') => (broker === 'redis' ? 'Redis' : 'memory');

function fanoutDesign({ design, clients }: Fanout): string {
  return design === 'channel' ? 'broadcast: 1 channel, 1 publish' : `queues: ${count(clients)} queues, ${count(clients)} publishes`;
}

function steadyDesign({ design, endpoints }: Steady): string {
  return design === 'channel' ? `broadcast: ${count(endpoints)} channels` : `queues: ${count(endpoints)} queues`;
}

/** The broadcast scenarios' tables, each channel row next to the queue mode's doing the same for as many clients. */
export function renderBroadcast({ fanout, steady }: BroadcastResults): string[] {
  const { plan } = steady;
  const queueRate = plan.rate * plan.subscribersPerChannel;
  return [
    'Broadcast channels (`mode: \'broadcast\'`, `/channels`) next to queues (`/messages`) in the same app. Fan-out: the ' +
      'clients wait, each on a connection of its own, all on one channel (one publish wakes them all) or each on a queue ' +
      'of its own (the queue mode needs a publish per client); one timestamp is published, and each answer\'s delay from ' +
      'it is taken as the driver received it:',
    '',
    '| waiting clients | broker | design | answered | Redis connections | heap / client | RSS / client | first answer | p50 | p99 | last answer |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...fanout.map(
      (row) =>
        `| ${count(row.clients)} | ${brokerName(row.broker)} | ${fanoutDesign(row)} | ${count(row.answered)} | ${row.redisConnections} | ` +
        `${kb(row.heapPerPollBytes)} | ${kb(row.rssPerPollBytes)} | ${ms(row.first)} | ${ms(row.answers.p50)} | ` +
        `${ms(row.answers.p99)} | ${ms(row.answers.max)} |`,
    ),
    '',
    `Steady: ${count(plan.channels)} channels × ${plan.subscribersPerChannel} subscribers, each looping on a keep-alive ` +
      `connection with its cursor (\`?after=\`), while the app publishes ${rate(plan.rate)} round-robin over the channels ` +
      `for ${plan.warmup} + ${plan.seconds} s; next to them, as many clients each polling a queue of its own while the app ` +
      `publishes ${rate(queueRate)} round-robin over the queues: the same messages per client. Latency, delivered/s and CPU ` +
      `leave out the first ${plan.warmup} s (a warm-up: the first seconds after thousands of connections came in are slow ` +
      `in memory too). Every client must receive every message of its endpoint, in order (missing: never received though ` +
      `a later one was; late: not received ${plan.grace / 1_000} s after the last publish):`,
    '',
    '| design | broker | clients | publishes | delivered | p50 | p90 | p99 | max | received / expected | missing | late | duplicates | failed polls |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...steady.runs.map(
      (row) =>
        `| ${steadyDesign(row)} | ${brokerName(row.broker)} | ${count(row.clients)} | ${rate(row.publishRate)} | ` +
        `${rate(row.deliveredPerSecond)} | ${ms(row.latency.p50)} | ${ms(row.latency.p90)} | ${ms(row.latency.p99)} | ` +
        `${ms(row.latency.max)} | ${count(row.delivered)} / ${count(row.expected)} | ` +
        `${row.missing}${row.gaps > 0 ? ` (${row.gaps} answers with Pistachio-Gap)` : ''} | ${row.late} | ${row.duplicates} | ${row.errors} |`,
    ),
    '',
    `What it costs: the app's CPU per delivered message (its publishing included), and, over ${plan.idle} s before the ` +
      'run while all the clients waited and nothing was published, the app\'s CPU and the commands Redis ran:',
    '',
    '| design | broker | app CPU / delivery | waiting, nothing published: app CPU | Redis commands | Redis connections |',
    '|---|---|---|---|---|---|',
    ...steady.runs.map(
      (row) =>
        `| ${steadyDesign(row)} | ${brokerName(row.broker)} | ${micros(row.appCpuPerDeliveryMicros)} | ` +
        `${row.idle.appCpuMillisPerSecond.toFixed(1)} ms/s | ${rate(row.idle.redisCommandsPerSecond)} | ${row.redisConnections} |`,
    ),
    '',
  ];
}

/** The figures as Markdown tables, for BENCHMARKS.md. */
export function renderTable(results: Results): string {
  const lines = [
    runLine(results),
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
    ...renderBroadcast(results.broadcast),
    ...(results.peer === undefined ? [] : renderPeer(results.peer)),
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
