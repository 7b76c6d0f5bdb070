import { count, kb, ms, rate } from './format.js';
import type { CoreRun } from './run.js';

/** A ratio of two medians, to the hundredth: what tells a difference from noise here. */
const times = (value: number, of: number) => `${(value / of).toFixed(2)}×`;

const byCommand = (counts: Record<string, number>) =>
  Object.entries(counts)
    .filter(([, perMessage]) => perMessage >= 0.01)
    .map(([name, perMessage]) => `${name} ${perMessage}`)
    .join(', ');

/** The tables of `--only core`: commands per message, wake-ups, single polls, and the spread over a Cluster's masters. */
export function renderCore({ commands, wakeUp, throughput, spread, baseline }: CoreRun): string[] {
  const load = commands[0];
  return [
    `Redis commands per delivered message, one Redis, Fastify, ${count(load?.delivered ?? 0)} messages delivered at a steady ` +
      'rate to looping pollers (at least once, each poll acknowledging the previous message). Sent: what the module ' +
      'sent (MONITOR; a script is one command). Run: what Redis ran (`INFO commandstats`; the commands of scripts included).',
    '',
    '| delivery | sent per message | run per message | sent, by command | run, by command |',
    '|---|---|---|---|---|',
    ...commands.map(
      ({ delivery, sent, executed }) =>
        `| ${delivery} | ${sent.perMessage} | ${executed.perMessage} | ${byCommand(sent.byCommand)} | ${byCommand(executed.byCommand)} |`,
    ),
    '',
    'Wake-up of 1,000 of the waiting polls (each on an endpoint and a connection of its own), 10 published every 10 ms, ' +
      'Fastify:',
    '',
    '| store | delivery | waiting | failed | Redis connections | RSS per poll | wake-up p50 | p99 | max |',
    '|---|---|---|---|---|---|---|---|---|',
    ...wakeUp.map(
      ({ store, delivery, result }) =>
        `| ${store === 'redis' ? 'one Redis' : 'Cluster, 3 masters'} | ${delivery} | ${count(result.waiting)} | ${result.failed} | ` +
        `${result.redisConnections} | ${kb(result.rssPerPollBytes)} | ${ms(result.wakeUp.p50)} | ${ms(result.wakeUp.p99)} | ` +
        `${ms(result.wakeUp.max)} |`,
    ),
    '',
    `Single polls on Fastify, at most once, delivered/s with a backlog, median of ${throughput[0]?.rounds.length ?? 0} rounds` +
      (baseline ? `, beside the build of ${baseline} on the same Redis, round after round:` : ':'),
    '',
    `| subscribers | one Redis | Cluster, 3 masters | Cluster / one Redis |${baseline ? ' baseline | one Redis / baseline |' : ''}`,
    `|---|---|---|---|${baseline ? '---|---|' : ''}`,
    ...throughput.map(
      ({ connections, median }) =>
        `| ${connections} | ${rate(median.redis)} | ${rate(median.cluster)} | ${times(median.cluster, median.redis)} |` +
        (median.baseline === undefined ? '' : ` ${rate(median.baseline)} | ${times(median.redis, median.baseline)} |`),
    ),
    '',
    `Spread over the masters of the Cluster: ${count(spread.endpoints)} endpoints, ${count(spread.delivered)} messages ` +
      `delivered; Redis commands processed by each master (largest distance from their mean: ` +
      `${Math.round(spread.maxDeviation * 100)} %):`,
    '',
    '| master | commands |',
    '|---|---|',
    ...spread.masters.map(({ address, commands: processed }) => `| ${address} | ${count(processed)} |`),
    '',
  ];
}
