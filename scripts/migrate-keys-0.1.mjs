#!/usr/bin/env node
// Moves the keys that nestjs-pistachio 0.1 kept beside each endpoint of a namespace to the layout of 0.2, once, with
// every instance of the app stopped (see the changelog):
//
//   node node_modules/nestjs-pistachio/scripts/migrate-keys-0.1.mjs redis://localhost:6379 myapp
//
// 0.1 named them `<namespace>:<endpoint>#claims`, `#deadlines` and `#dead` (acknowledged delivery); 0.2 names them
// `{<namespace>:<endpoint>}#claims` and so on, in the queue's hash slot. Queues and channels themselves keep their
// names. 0.1 ran on one Redis only, so this script does too. A key whose new name is taken already is left as it is,
// and said so.
import { Redis } from 'ioredis';

const [url, namespace] = process.argv.slice(2);
if (!url || !namespace) {
  console.error('usage: migrate-keys-0.1.mjs <redis url> <namespace>');
  process.exit(2);
}

const OLD = /^(.+)#(claims|deadlines|dead)$/;
const redis = new Redis(url);
let moved = 0;
let kept = 0;
try {
  const keys = redis.scanStream({ match: `${namespace}:*#*`, count: 1_000 });
  for await (const batch of keys) {
    for (const key of batch) {
      const [, queue, suffix] = OLD.exec(key) ?? [];
      if (!queue || queue.startsWith('{')) {
        continue;
      }
      if (await redis.renamenx(key, `{${queue}}#${suffix}`)) {
        moved++;
      } else {
        kept++;
        console.error(`left ${key}: {${queue}}#${suffix} exists already`);
      }
    }
  }
  console.log(`moved ${moved} keys of "${namespace}" to the 0.2 layout${kept ? `, left ${kept}` : ''}`);
} finally {
  redis.disconnect();
}
process.exitCode = kept > 0 ? 1 : 0;
