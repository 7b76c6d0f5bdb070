/**
 * Compiled by `npm run typecheck` (part of `npm test`), never run: each `@ts-expect-error` line must fail to compile,
 * each other line must compile. test/e2e/registration.spec.ts refuses the same combinations at start-up.
 */
import { PistachioModule, PistachioModuleOptions } from '../../lib/index.js';

// Valid: one shape per mode.
PistachioModule.forRoot({ namespace: 'n' });
PistachioModule.forRoot({ namespace: 'n', mode: 'queue', maxQueueLength: 10, overflow: 'drop-oldest' });
PistachioModule.forRoot({ namespace: 'n', delivery: 'at-most-once', timeout: 1_000 });
PistachioModule.forRoot({ namespace: 'n', delivery: 'at-least-once', visibilityTimeout: 5_000, maxDeliveries: 3 });
PistachioModule.forRoot({ namespace: 'n', mode: 'broadcast', retention: 10, maxWaitersPerEndpoint: 5 });
PistachioModule.forRoot({ namespace: 'n', mode: 'broadcast', delivery: 'at-most-once' });
PistachioModule.forRootAsync({ mode: 'broadcast', useFactory: (): PistachioModuleOptions => ({ namespace: 'n', mode: 'broadcast', retention: 5 }) });
PistachioModule.forRootAsync({ delivery: 'at-least-once', path: '/jobs', useFactory: () => ({ namespace: 'n', delivery: 'at-least-once' as const }) });

// Invalid: an option the mode does not have, a mode that does not exist, an option that does not exist.
// @ts-expect-error broadcast channels keep what they send: nothing is acknowledged
PistachioModule.forRoot({ namespace: 'n', mode: 'broadcast', delivery: 'at-least-once' });
// @ts-expect-error the visibility timeout is at-least-once queues'
PistachioModule.forRoot({ namespace: 'n', mode: 'broadcast', visibilityTimeout: 5_000 });
// @ts-expect-error a channel is bounded by its retention, not a queue length
PistachioModule.forRoot({ namespace: 'n', mode: 'broadcast', maxQueueLength: 10 });
// @ts-expect-error at most once nothing is redelivered
PistachioModule.forRoot({ namespace: 'n', visibilityTimeout: 5_000 });
// @ts-expect-error at most once has no dead letters
PistachioModule.forRoot({ namespace: 'n', delivery: 'at-most-once', maxDeliveries: 3 });
// @ts-expect-error retention is broadcast's
PistachioModule.forRoot({ namespace: 'n', retention: 10 });
// @ts-expect-error a misspelt option
PistachioModule.forRoot({ namespace: 'n', timout: 1_000 });
// @ts-expect-error no such mode
PistachioModule.forRoot({ namespace: 'n', mode: 'fanout' });
// @ts-expect-error the namespace is required
PistachioModule.forRoot({ path: '/messages' });
// @ts-expect-error a factory's options have one shape per mode too
PistachioModule.forRootAsync({ useFactory: (): PistachioModuleOptions => ({ namespace: 'n', mode: 'broadcast', visibilityTimeout: 5 }) });
