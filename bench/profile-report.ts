import type { ProfileResult } from './scenarios/cpu-profile.js';

const percent = (share: number) => `${(100 * share).toFixed(1)} %`;

/** The profile's tables: the app's busy samples by part of the stack, and the functions that took most. */
export function renderProfile({ plan, categories, functions, delivered, busyMicrosPerMessage }: ProfileResult): string[] {
  const load =
    'saturation' in plan.load
      ? `saturated for ${plan.load.saturation.seconds} s`
      : `${plan.load.wakeUp.woken.toLocaleString('en-US')} of them woken with a message each at ${plan.load.wakeUp.rate.toLocaleString('en-US')}/s`;
  return [
    `CPU profile of the bench app (\`node --cpu-prof\`) on ${plan.adapter}${plan.direct ? ' (the direct route)' : ''} and ${plan.store}, ` +
      `${plan.subscribers.toLocaleString('en-US')} subscribers each long-polling an endpoint of its own, ${load} by the ` +
      "peer scenario's client: " +
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
