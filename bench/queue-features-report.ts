import type { QueueRun } from './run.js';

/** The queue features scenario as Markdown tables: the publish costs, the take costs, then the delayed messages due at once. */
export function renderQueueFeatures({ publishes, takes, due }: Pick<QueueRun, 'publishes' | 'takes' | 'due'>): string[] {
  return [
    '| store | publish | app CPU | Redis CPU | cost beside a plain publish |',
    '|---|---|---|---|---|',
    ...publishes.map(
      ({ store, variant, appUs, redisUs, relative }) =>
        `| ${store} | ${variant} | ${appUs.toFixed(1)} µs | ${store === 'redis' ? `${redisUs.toFixed(1)} µs` : '–'} | ${relative.toFixed(2)}× |`,
    ),
    '',
    '| store | messages received | app CPU | Redis CPU | cost beside plain messages |',
    '|---|---|---|---|---|',
    ...takes.map(
      ({ store, variant, appUs, redisUs, relative }) =>
        `| ${store} | ${variant} | ${appUs.toFixed(1)} µs | ${store === 'redis' ? `${redisUs.toFixed(1)} µs` : '–'} | ${relative.toFixed(2)}× |`,
    ),
    '',
    '| store | delayed messages due at once | publishing them took | all received after they came due |',
    '|---|---|---|---|',
    ...due.map(({ store, messages, publishSeconds, drainSeconds }) => `| ${store} | ${messages} | ${publishSeconds.toFixed(1)} s | ${drainSeconds.toFixed(2)} s |`),
  ];
}
