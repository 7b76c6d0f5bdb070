import type { QueueRun } from './run.js';
import type { VariantCost } from './scenarios/queue-features.js';

/** The queue features scenario as Markdown tables: the publish costs, the take costs, then the delayed messages due at once. */
export function renderQueueFeatures({ publishes, takes, due }: Pick<QueueRun, 'publishes' | 'takes' | 'due'>): string[] {
  return [
    ...costTable('publish', 'cost beside a plain publish', publishes),
    '',
    ...costTable('messages received', 'cost beside plain messages', takes),
    '',
    '| store | delayed messages due at once | publishing them took | all received after they came due |',
    '|---|---|---|---|',
    ...due.map(({ store, messages, publishSeconds, drainSeconds }) => `| ${store} | ${messages} | ${publishSeconds.toFixed(1)} s | ${drainSeconds.toFixed(2)} s |`),
  ];
}

function costTable(variantColumn: string, relativeColumn: string, costs: VariantCost<string>[]): string[] {
  return [
    `| store | ${variantColumn} | app CPU | Redis CPU | ${relativeColumn} |`,
    '|---|---|---|---|---|',
    ...costs.map(
      ({ store, variant, appUs, redisUs, relative }) =>
        `| ${store} | ${variant} | ${appUs.toFixed(1)} µs | ${store === 'redis' ? `${redisUs.toFixed(1)} µs` : '–'} | ${relative.toFixed(2)}× |`,
    ),
  ];
}
