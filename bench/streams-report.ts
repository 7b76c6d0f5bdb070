import { count, kb, micros, ms, rate, times } from './format.js';
import type { StreamsRun } from './run.js';

const storeName = (store: 'memory' | 'redis') => (store === 'redis' ? 'Redis' : 'memory');
const serverName = (server: 'ours' | 'nchan') => (server === 'ours' ? 'ours' : 'Nchan');

/**
 * The streams scenarios' tables: one channel's message to many clients, then the steady run, each stream row beside
 * long polls doing the same (same broker, same run) and Nchan's EventSource.
 */
export function renderStreams({ fanout, steady, nchan }: StreamsRun): string[] {
  const lines = [
    '### One message to many clients of one channel',
    '',
    'Each client on a connection of its own; one publish once all are open (streams) or waiting (polls). Delays from the publish to each client having the message, as the driver reads them.',
    '',
    '| clients | server | store | transport | got it | open in | RSS per client | p50 | p99 | last |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...fanout.streams.map(
      (row) =>
        `| ${count(row.streams)} | ${serverName(row.server)} | ${storeName(row.store)} | stream | ${count(row.received)} | ${row.openSeconds.toFixed(2)} s | ` +
        `${kb(row.rssPerStreamBytes)} | ${ms(row.delivery.p50)} | ${ms(row.delivery.p99)} | ${ms(row.delivery.max)} |`,
    ),
    ...fanout.polls.map(
      (row) =>
        `| ${count(row.clients)} | ours | ${storeName(row.broker)} | long poll | ${count(row.answered)} | | ${kb(row.rssPerPollBytes)} | ` +
        `${ms(row.answers.p50)} | ${ms(row.answers.p99)} | ${ms(row.answers.max)} |`,
    ),
    '',
    `### A steady rate over ${count(steady.plan.channels)} channels`,
    '',
    `${count(steady.plan.channels * steady.plan.subscribersPerChannel)} clients (${steady.plan.subscribersPerChannel} per channel), ` +
      `${steady.plan.rate} messages/s round-robin over the channels for ${steady.plan.warmup} + ${steady.plan.seconds} s; figures after the warm-up. ` +
      'Ours publishes in the app; Nchan is published to over HTTP. CPU: the server\'s (all its processes), per message a client received.',
    '',
    '| server | store | transport | delivered/s | p50 | p99 | missing / duplicates / late | CPU per delivery | stream ÷ poll CPU |',
    '|---|---|---|---|---|---|---|---|---|',
    ...steady.streams.map((row) => {
      const poll = steady.polls.find(({ broker }) => broker === row.store);
      const versus = row.server === 'ours' && poll ? times(row.cpuPerEventMicros, poll.appCpuPerDeliveryMicros) : '';
      return (
        `| ${serverName(row.server)} | ${storeName(row.store)} | stream | ${rate(row.deliveredPerSecond)} | ${ms(row.latency.p50)} | ` +
        `${ms(row.latency.p99)} | ${row.missing} / ${row.duplicates} / ${row.late} | ${micros(row.cpuPerEventMicros)} | ${versus} |`
      );
    }),
    ...steady.polls.map(
      (row) =>
        `| ours | ${storeName(row.broker)} | long poll | ${rate(row.deliveredPerSecond)} | ${ms(row.latency.p50)} | ${ms(row.latency.p99)} | ` +
        `${row.missing} / ${row.duplicates} / ${row.late} | ${micros(row.appCpuPerDeliveryMicros)} | |`,
    ),
    '',
    'version' in nchan ? `Nchan ${nchan.version}, one worker.` : `Nchan not run: ${nchan.skipped}.`,
    '',
  ];
  return lines;
}
