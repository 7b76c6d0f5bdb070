import type { PageCost } from './scenarios/multiplexed.js';

/** The pages scenario as a Markdown table: each page size as single polls, then as one multiplexed poll. */
export function renderPages(costs: PageCost[]): string[] {
  return [
    '| pages × subscriptions | design | connections | requests per message | app CPU per message |',
    '|---|---|---|---|---|',
    ...costs.map(
      ({ pages, subscriptions, design, connections, requestsPerMessage, cpuPerMessageUs }) =>
        `| ${pages} × ${subscriptions} | ${design} | ${connections} | ${requestsPerMessage} | ${cpuPerMessageUs} µs |`,
    ),
  ];
}
