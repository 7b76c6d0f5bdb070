import type { ProfileResult } from './scenarios/cpu-profile.js';

const percent = (share: number) => `${(100 * share).toFixed(1)} %`;

/** The profile's tables: the app's busy samples by part of the stack, and the functions that took most. */
export function renderProfile({ plan, categories, functions, delivered, busyMicrosPerMessage }: ProfileResult): string[] {
  return [
    `CPU profile of the bench app (\`node --cpu-prof\`) on ${plan.adapter} and ${plan.store}, ${plan.subscribers} subscribers ` +
      `each long-polling an endpoint of its own, saturated for ${plan.seconds} s by the peer scenario's client: ` +
      `${delivered.toLocaleString('en-US')} messages delivered, ${Math.round(busyMicrosPerMessage)} µs of the main thread's ` +
      'busy time per message (start-up included). Shares of its busy samples (idle left out):',
    '',
    '| where | share |',
    '|---|---|',
    ...categories.map(({ name, share }) => `| ${name} | ${percent(share)} |`),
    '',
    'The functions that took most samples themselves:',
    '',
    '| function | share |',
    '|---|---|',
    ...functions.map(({ name, share }) => `| \`${name}\` | ${percent(share)} |`),
    '',
  ];
}
