import { count } from './format.js';
import type { IntakeRatios, IntakeRow, IntakeRun } from './run.js';

const serverNames = { node: '`node:http`', nest: 'bare Nest', module: 'ours' } as const;
const adapterNames = { express: 'Express', fastify: 'Fastify' } as const;
const storeNames = { memory: 'memory', redis: 'Redis' } as const;

const seconds = (value: number) => value.toFixed(2);
const ratios = ({ seconds, heldSeconds, cpuSeconds }: IntakeRatios) => [seconds, heldSeconds, cpuSeconds].map((value) => `${value.toFixed(2)}×`).join(' / ');

/** A row's name, as the notes under the table give it. */
const nameOf = ({ server, adapter, store, direct, backlog }: IntakeRow) =>
  [serverNames[server], direct && 'direct route', adapter && adapterNames[adapter], store && storeNames[store], backlog && `backlog ${count(backlog)}`]
    .filter(Boolean)
    .join(' ');

/** What went wrong in a row's rounds, if anything: polls not written or not held, errors, early answers. */
function trouble({ rounds }: IntakeRow): string[] {
  return rounds.flatMap((round, index) => {
    const wrong = [
      round.written < round.count ? `${count(round.written)} written` : '',
      round.held < round.count ? `${count(round.held)} held` : '',
      round.errors ? `${count(round.errors)} connection errors` : '',
      round.answered ? `${count(round.answered)} answered or closed early` : '',
    ].filter(Boolean);
    return wrong.length ? [`round ${index + 1}: ${wrong.join(', ')} of ${count(round.count)}`] : [];
  });
}

/** The intake table: each server's medians, the module's beside the bare Nest app on its adapter. */
export function renderIntake({ plan, rows }: IntakeRun): string[] {
  const notes = rows.flatMap((row) => trouble(row).map((line) => `- ${nameOf(row)}, ${line}.`));
  return [
    '### Taking in many polls at once',
    '',
    `${count(plan.count)} polls on distinct endpoints, ${count(plan.group)} at a time (the next group once every poll of the last ` +
      'is written), each on a connection of its own; a poll is taken in once the client has written its request. ' +
      '`node:http` and bare Nest hold every request until the client leaves. Intake: until the last request is written; ' +
      'all held: until the server holds every poll; CPU: the server\'s over that time; listen overflows: the machine\'s ' +
      `accept-queue overflows over it (TcpExt ListenOverflows). Medians of ${plan.rounds} round${plan.rounds === 1 ? '' : 's'}, ` +
      'the servers in turn in each, a fresh process each. × bare Nest: ours over the bare Nest app on the same adapter, ' +
      'intake / all held / CPU, the median of the rounds\' ratios. Backlog: the listen backlog the app raised (Node\'s 511 otherwise). ' +
      'Ours, direct route: `directRoute: true`, polls served from the HTTP server ahead of the framework.',
    '',
    '| server | adapter | store | backlog | intake (s) | all held (s) | CPU (s) | listen overflows | × bare Nest |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| ${serverNames[row.server]}${row.direct ? ', direct route' : ''} | ${row.adapter ? adapterNames[row.adapter] : ''} | ${row.store ? storeNames[row.store] : ''} | ` +
        `${count(row.backlog ?? 511)} | ` +
        `${seconds(row.median.seconds)} | ${seconds(row.median.heldSeconds)} | ${seconds(row.median.cpuSeconds)} | ` +
        `${count(row.median.listenOverflows)} | ${row.versusBare ? ratios(row.versusBare.median) : ''} |`,
    ),
    '',
    ...(notes.length ? ['Not every poll taken in and held:', '', ...notes, ''] : []),
  ];
}
