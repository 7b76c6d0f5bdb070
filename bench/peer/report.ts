import { count, kb, micros, ms, rate } from '../format.js';
import type { Accounting } from './load.js';
import type { PeerOutcome, PeerResults, PeerRow } from '../scenarios/nchan-peer.js';
import type { PeerAdapter, PeerSetup, PeerStore } from './targets.js';

/** ours / Nchan, or nothing when either is missing. */
function versus(ours: number | undefined, nchan: number | undefined): string {
  if (ours === undefined || nchan === undefined || !(nchan > 0)) {
    return '';
  }
  const ratio = ours / nchan;
  return `${ratio >= 10 ? Math.round(ratio).toLocaleString('en-US') : ratio.toFixed(2)}×`;
}

/** One line of the side-by-side table: how a row shows a figure, and the ratio of two rows' figures. */
interface Figure {
  name: string;
  cell(row: PeerRow): string | undefined;
  ratio(ours: PeerRow, nchan: PeerRow): string;
}

function single(name: string, value: (row: PeerRow) => number | undefined, format: (value: number) => string): Figure {
  return {
    name,
    cell: (row) => {
      const figure = value(row);
      return figure === undefined ? undefined : format(figure);
    },
    ratio: (ours, nchan) => versus(value(ours), value(nchan)),
  };
}

/** A figure given as p50 / p99, with both ratios. */
function percentiles(name: string, value: (row: PeerRow) => { p50: number; p99: number } | undefined): Figure {
  return {
    name,
    cell: (row) => {
      const figure = value(row);
      return figure === undefined ? undefined : `${ms(figure.p50)} / ${ms(figure.p99)}`;
    },
    ratio: (ours, nchan) => {
      const [a, b] = [value(ours), value(nchan)];
      return a === undefined || b === undefined ? '' : `${versus(a.p50, b.p50)} / ${versus(a.p99, b.p99)}`;
    },
  };
}

const cpuPerMessage = (row: PeerRow) =>
  row.atRate === undefined ? undefined : row.atRate.serverCpuPerMessageMicros + row.atRate.redisCpuPerMessageMicros;

function figures({ plan }: PeerResults): Figure[] {
  return [
    ...plan.subscribers.map((subscribers) =>
      single(
        `messages delivered/s, ${subscribers} subscribers`,
        (row) => row.saturation.find((s) => s.subscribers === subscribers)?.deliveredPerSecond,
        rate,
      ),
    ),
    percentiles(`latency p50 / p99 at ${rate(plan.rate)} (${plan.rateSubscribers} subscribers)`, (row) => row.atRate?.latency),
    {
      ...single(`server + Redis CPU per message at ${rate(plan.rate)}`, cpuPerMessage, micros),
      cell: (row) => {
        const total = cpuPerMessage(row);
        if (total === undefined || row.atRate === undefined) {
          return undefined;
        }
        const { serverCpuPerMessageMicros: server, redisCpuPerMessageMicros: redis } = row.atRate;
        return row.store === 'redis' ? `${micros(total)} (${micros(server)} + ${micros(redis)})` : micros(total);
      },
    },
    single(`RSS per waiting subscriber (${count(plan.waiting)} waiting)`, (row) => row.idle?.rssPerWaitingBytes, kb),
    percentiles(`wake-up p50 / p99, ${count(plan.woken)} of ${count(plan.waiting)} waiting get a message`, (row) => row.idle?.wakeUp),
    single(`accepting ${count(plan.waiting)} waiting subscribers`, (row) => row.idle?.acceptSeconds, (s) => `${s.toFixed(2)} s`),
  ];
}

const find = (
  rows: PeerRow[],
  server: PeerSetup['server'],
  store: PeerStore,
  processes: number,
  adapter?: PeerAdapter,
  delivery?: 'at-least-once',
  direct?: boolean,
) =>
  rows.find(
    (row) =>
      row.server === server &&
      row.store === store &&
      row.processes === processes &&
      row.adapter === adapter &&
      row.delivery === delivery &&
      row.direct === direct,
  );
const storeName = (store: PeerStore) => (store === 'redis' ? 'Redis' : 'memory');
const setupName = ({ server, store, adapter, processes, delivery, direct }: PeerSetup) => {
  const which = server === 'nchan' ? `Nchan, ${processes} worker${processes > 1 ? 's' : ''}` : `ours, ${adapter}${direct ? ', direct route' : ''}`;
  return `${which}${server === 'ours' && processes > 1 ? `, ${processes} processes` : ''}, ${storeName(store)}${delivery ? `, ${delivery}` : ''}`;
};
const cellOf = (figure: Figure, row: PeerRow | undefined) =>
  row === undefined ? '' : (figure.cell(row) ?? (row.broke ? 'broke' : ''));
const ratioOf = (figure: Figure, ours: PeerRow | undefined, nchan: PeerRow | undefined) =>
  ours === undefined || nchan === undefined ? '' : figure.ratio(ours, nchan);
const checked = (a: Accounting) =>
  `| ${count(a.delivered)} / ${count(a.published)} | ${a.missing} | ${a.outOfOrder} | ${a.late} | ${a.errors} |`;

/** The peer scenario's tables: Nchan and ours side by side, with the ratios ours / Nchan, and every message checked. */
export function renderPeer(outcome: PeerOutcome): string[] {
  if ('skipped' in outcome) {
    return [`Peer scenario (Nchan): not run. ${outcome.skipped}.`, ''];
  }
  const { plan, rows } = outcome;
  const adapters: PeerAdapter[] = ['express', 'fastify'];
  const lines = [
    `Nchan ${outcome.nchan} (nginx ${outcome.nginx}) next to ours, end to end, driven by the same client: each subscriber ` +
      'long-polls a channel (endpoint) of its own on a keep-alive connection (Nchan: `GET /sub/<id>` sending back ' +
      '`If-Modified-Since` / `If-None-Match`; ours: `GET /messages/<id>`, queues), and a publisher posts ' +
      `\`<timestamp> <sequence>\` over HTTP on ${plan.publishers} keep-alive connections (Nchan: \`POST /pub?id=<id>\`; ` +
      'ours: a Nest `POST /pub?id=<id>` calling `publish()`), one publish per channel in flight. Saturation: the publisher ' +
      `keeps each channel at most ${plan.backlog} messages ahead of its subscriber, ${plan.warmup} s warm-up then ` +
      `${plan.seconds} s measured. At ${rate(plan.rate)}: round-robin over ${plan.rateSubscribers} channels, ` +
      `${plan.rateWarmup} s warm-up then ${plan.rateSeconds} s measured; latency from sending the publish to receiving ` +
      'the message, both in the driver; CPU of the server\'s processes (nginx workers, app processes) and of Redis per ' +
      'message. Waiting subscribers, on the server fresh but for an unmeasured run at that rate: ' +
      `${count(plan.waiting)} connect, each for a channel of its own (groups of 500); the server's RSS (nginx workers; the ` +
      `app after a GC) before and after, per subscriber; then ${count(plan.woken)} of them, spread over the range, get a ` +
      `message each at ${rate(plan.rate)}. Ratios are ours / Nchan on the same store (above 1 is better for ours in ` +
      'messages/s, worse in the others). One run of each figure: repeated runs differed by up to a quarter.',
    '',
    '| figure | store | Nchan (1 worker) | ours, Express | ours / Nchan | ours, Fastify | ours / Nchan |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const figure of figures(outcome)) {
    for (const store of ['memory', 'redis'] as const) {
      const nchan = find(rows, 'nchan', store, 1);
      const cells = adapters.flatMap((adapter) => {
        const ours = find(rows, 'ours', store, 1, adapter);
        return [cellOf(figure, ours), ratioOf(figure, ours, nchan)];
      });
      lines.push(`| ${figure.name} | ${storeName(store)} | ${cellOf(figure, nchan)} | ${cells.join(' | ')} |`);
    }
  }
  lines.push('');

  const nchanRedis = find(rows, 'nchan', 'redis', 1);
  const acknowledged = find(rows, 'ours', 'redis', 1, 'fastify', 'at-least-once');
  if (acknowledged) {
    const atMostOnce = find(rows, 'ours', 'redis', 1, 'fastify');
    lines.push(
      'Acknowledged delivery on Fastify and Redis (each poll acknowledges the previous answer\'s receipt with `?ack=`), ' +
        'beside at most once and Nchan on Redis:',
      '',
      '| figure | Nchan, Redis | ours, at most once | ours / Nchan | ours, at least once | ours / Nchan |',
      '|---|---|---|---|---|---|',
      ...figures(outcome).map(
        (figure) =>
          `| ${figure.name} | ${cellOf(figure, nchanRedis)} | ${cellOf(figure, atMostOnce)} | ${ratioOf(figure, atMostOnce, nchanRedis)} | ` +
          `${cellOf(figure, acknowledged)} | ${ratioOf(figure, acknowledged, nchanRedis)} |`,
      ),
      '',
    );
  }

  const direct = adapters.map((adapter) => [find(rows, 'ours', 'redis', 1, adapter), find(rows, 'ours', 'redis', 1, adapter, undefined, true)]);
  if (direct.some(([, row]) => row !== undefined)) {
    lines.push(
      'The direct route (`directRoute: true`: polls served from the HTTP server, ahead of the framework) on Redis, beside ' +
        "the framework's route and Nchan:",
      '',
      `| figure | Nchan, Redis | ${adapters.map((adapter) => `ours, ${adapter} | direct route | direct / Nchan`).join(' | ')} |`,
      `|---|---|${adapters.map(() => '---|---|---|').join('')}`,
      ...figures(outcome).map(
        (figure) =>
          `| ${figure.name} | ${cellOf(figure, nchanRedis)} | ` +
          `${direct.map(([route, fast]) => `${cellOf(figure, route)} | ${cellOf(figure, fast)} | ${ratioOf(figure, fast, nchanRedis)}`).join(' | ')} |`,
      ),
      '',
    );
  }

  const multi = rows.filter((row) => row.processes > 1);
  const nchanMulti = find(rows, 'nchan', 'redis', 2);
  if (multi.length > 0) {
    const oursMulti = plan.multiProcess.map((adapter) => find(rows, 'ours', 'redis', 2, adapter));
    lines.push(
      'Two processes on the Redis store: Nchan on two nginx workers (`reuseport`), ours as two app processes (subscribers ' +
        'and publisher connections alternate between them):',
      '',
      `| figure | Nchan (2 workers) | ${plan.multiProcess.map((adapter) => `ours, ${adapter}, 2 processes | ours / Nchan`).join(' | ')} |`,
      `|---|---|${plan.multiProcess.map(() => '---|---|').join('')}`,
      ...figures(outcome)
        .slice(0, plan.subscribers.length)
        .map(
          (figure) =>
            `| ${figure.name} | ${cellOf(figure, nchanMulti)} | ` +
            `${oursMulti.map((ours) => `${cellOf(figure, ours)} | ${ratioOf(figure, ours, nchanMulti)}`).join(' | ')} |`,
        ),
      '',
    );
  }

  lines.push(
    'Every message checked: each subscriber must receive every message of its channel once, in order (missing: never ' +
      `received though a later one was; late: not received ${plan.grace / 1_000} s after the last publish; failed: polls ` +
      'and publishes refused or cut, each retried). At saturation, the CPU of the server (its processes, without Redis) ' +
      'and of the driver in cores, and the machine\'s busy share, say which was the limit; the server\'s CPU per ' +
      'delivered message there is what it would deliver with a core of its own (1 s / that):',
    '',
    '| server | run | received / published | missing | out of order | late | failed | server | driver | machine busy |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const row of rows) {
    const name = setupName(row);
    for (const s of row.saturation) {
      lines.push(
        `| ${name} | saturation, ${s.subscribers} subscribers ${checked(s.accounting)} ` +
          `${s.serverCores.toFixed(2)} cores, ${micros(s.serverCpuPerMessageMicros)} / message` +
          `${row.store === 'redis' ? ` (Redis ${s.redisCores.toFixed(2)} cores)` : ''} | ` +
          `${s.driverCores.toFixed(2)} cores | ${Math.round(100 * s.machineBusy)} % |`,
      );
    }
    if (row.atRate) {
      lines.push(`| ${name} | ${rate(row.atRate.rate)} (achieved ${rate(row.atRate.achievedRate)}) ${checked(row.atRate.accounting)} | | |`);
    }
    if (row.idle) {
      lines.push(
        `| ${name} | ${count(row.idle.woken)} of ${count(row.idle.waiting)} waiting woken ${checked(row.idle.accounting)} | | |`,
      );
    }
    if (row.broke) {
      lines.push(`| ${name} | broke: ${row.broke} | | | | | | | | |`);
    }
  }
  lines.push('');
  const redisMemory = rows.filter((row) => row.store === 'redis' && row.idle);
  if (redisMemory.length > 0) {
    lines.push(
      `Redis memory (\`used_memory\`) per waiting subscriber: ${redisMemory
        .map((row) => `${setupName(row)} ${kb(row.idle!.redisMemoryPerWaitingBytes)}`)
        .join('; ')}.`,
      '',
    );
  }
  for (const row of rows) {
    const failures = Object.entries(row.failures);
    if (failures.length > 0) {
      lines.push(`Failures, ${setupName(row)}: ${failures.map(([what, times]) => `${what} × ${times}`).join(', ')}.`, '');
    }
    if (row.serverErrors.length > 0) {
      lines.push(`Nchan's error log, ${setupName(row)}: ${row.serverErrors.length} lines, the first: \`${row.serverErrors[0]}\`.`, '');
    }
  }
  lines.push(
    'Nchan\'s configuration (memory store; the Redis store adds `nchan_redis_url` and `nchan_use_redis on` in `http`; ' +
      'two workers, `worker_processes 2` and `listen … reuseport`):',
    '',
    '```nginx',
    ...outcome.configs.memory.trimEnd().split('\n'),
    '```',
    '',
  );
  return lines;
}
