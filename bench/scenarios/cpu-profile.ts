import type { Redis } from 'ioredis';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PeerLoad } from '../peer/load.js';
import { oursTarget, PeerSetup } from '../peer/targets.js';
import { openInGroups, until } from '../waiting-polls.js';

export interface ProfilePlan extends Omit<PeerSetup, 'server'> {
  subscribers: number;
  publishers: number;
  /**
   * Saturation for `seconds` (each channel at most `backlog` messages ahead of its subscriber), or the peer
   * scenario's wake-up: `woken` of the subscribers, spread over the range, get a message each at `rate` per second.
   */
  load: { saturation: { backlog: number; seconds: number } } | { wakeUp: { woken: number; rate: number } };
}

/** A share of the app's busy CPU samples. */
export interface Share {
  name: string;
  share: number;
}

export interface ProfileResult {
  plan: ProfilePlan;
  /** The app's main thread, busy samples only (idle left out), by where the time went. */
  categories: Share[];
  /** The functions that took most samples themselves. */
  functions: Share[];
  delivered: number;
  /** The main thread's busy time over the app's life, per delivered message. */
  busyMicrosPerMessage: number;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/**
 * Where the app's main thread spends its time: the bench app on one adapter and store runs under `--cpu-prof` while
 * the peer scenario's client saturates it or wakes some of many waiting polls, and its samples are sorted into the parts of the stack
 * (Node's socket writes, GC, ioredis, the framework, rxjs, streams, our code…). The profile itself is kept as
 * `keepAs`, for Chrome DevTools.
 */
export async function cpuProfile(plan: ProfilePlan, redisUrl: string, redis: Redis, keepAs: string): Promise<ProfileResult> {
  const directory = mkdtempSync(join(tmpdir(), 'pistachio-profile-'));
  // The app's shutdown hooks end it by its signal, which would skip writing the profile: exit instead.
  const exitOnTerm = `data:text/javascript,process.once("SIGTERM",()=>process.exit(0))`;
  const target = await oursTarget({ server: 'ours', ...plan }, redisUrl, redis, [
    '--cpu-prof',
    `--cpu-prof-dir=${directory}`,
    `--import=${exitOnTerm}`,
  ]);
  let delivered: number;
  try {
    const load = new PeerLoad(target, Array.from({ length: plan.subscribers }, (_, i) => `p${i}`));
    await openInGroups(plan.subscribers, (i) => load.subscribe(i), () => target.waiting());
    await until(() => target.ready(plan.subscribers));
    if ('saturation' in plan.load) {
      await load.saturate(plan.publishers, plan.load.saturation.backlog, plan.load.saturation.seconds);
    } else {
      const { woken, rate } = plan.load.wakeUp;
      const over = Array.from({ length: woken }, (_, i) => load.channels[Math.floor((i * plan.subscribers) / woken)]);
      await load.atRate(plan.publishers, rate, woken, over);
    }
    await load.drained(10_000);
    ({ delivered } = await load.stop());
  } finally {
    await target.stop();
  }
  try {
    const [file] = readdirSync(directory).filter((name) => name.endsWith('.cpuprofile'));
    mkdirSync(dirname(keepAs), { recursive: true });
    copyFileSync(join(directory, file), keepAs);
    const { busySeconds, ...shares } = summarize(JSON.parse(readFileSync(join(directory, file), 'utf8')));
    return { plan, delivered, busyMicrosPerMessage: (busySeconds * 1_000_000) / delivered, ...shares };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Native functions that write to a socket, by the names V8 gives them. */
const SOCKET_WRITES = new Set(['writev', 'writeUtf8String', 'writeBuffer', 'writeLatin1String', 'writeAsciiString']);

/** The part of the stack a sample's function belongs to, by its name and script. */
function categoryOf({ functionName, url }: ProfileNode['callFrame']): string {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8 and native, unattributed';
  const packages: [RegExp, string][] = [
    [/node_modules\/(ioredis|@ioredis|redis-parser|denque|cluster-key-slot)\//, 'ioredis'],
    [/node_modules\/rxjs\//, 'rxjs'],
    [/node_modules\/@nestjs\//, 'Nest'],
    [/node_modules\/(fastify|@fastify|find-my-way|avvio|light-my-request|fast-json-stringify|safe-regex2|toad-cache)\//, 'Fastify'],
    [/node_modules\/(express|router|body-parser|finalhandler|send|serve-static|qs|raw-body|on-finished|type-is|accepts|cors)\//, 'Express and middleware'],
    [/node_modules\/prom-client\//, 'prom-client'],
    [/\/lib\//, 'nestjs-pistachio'],
    [/\/bench\//, 'bench app'],
    [/^node:internal\/(modules|bootstrap)|^node:internal\/fs/, 'start-up (loading modules)'],
    [/^node:(internal\/)?streams?|node:internal\/webstreams|node:stream/, 'Node streams'],
    [/^node:(_http|http|internal\/http)/, 'Node HTTP'],
    [/^node:(net|internal\/net|internal\/stream_base_commons)/, 'Node net'],
    [/^node:internal\/(event_target|abort_controller)/, 'AbortController and events'],
    [/^node:internal\/timers|^node:timers/, 'timers'],
    [/^node:/, 'Node, other'],
  ];
  return packages.find(([pattern]) => pattern.test(url))?.[1] ?? (url === '' ? 'native' : 'other');
}

/**
 * Where a sample goes: its function's part of the stack; a socket write goes to that of the nearest caller outside
 * Node (ioredis's commands, or the framework's answers), so that the writes of each show apart.
 */
function attribute(node: ProfileNode, parents: Map<number, ProfileNode>): string {
  if (!SOCKET_WRITES.has(node.callFrame.functionName)) {
    return categoryOf(node.callFrame);
  }
  let caller = parents.get(node.id);
  while (caller && (caller.callFrame.url === '' || caller.callFrame.url.startsWith('node:'))) {
    caller = parents.get(caller.id);
  }
  return `socket writes, by ${caller ? categoryOf(caller.callFrame) : 'native'}`;
}

function summarize(profile: {
  nodes: ProfileNode[];
  samples: number[];
  startTime: number;
  endTime: number;
}): Pick<ProfileResult, 'categories' | 'functions'> & { busySeconds: number } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map(profile.nodes.flatMap((node) => (node.children ?? []).map((child) => [child, node] as const)));
  const categories = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  for (const id of profile.samples) {
    const node = byId.get(id)!;
    const { callFrame } = node;
    if (callFrame.functionName === '(idle)') {
      continue;
    }
    busy++;
    const category = attribute(node, parents);
    categories.set(category, (categories.get(category) ?? 0) + 1);
    const where = callFrame.url ? ` ${callFrame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, '')}:${callFrame.lineNumber + 1}` : '';
    const name = `${callFrame.functionName || '(anonymous)'}${where}`;
    functions.set(name, (functions.get(name) ?? 0) + 1);
  }
  const shares = (counts: Map<string, number>, top: number) =>
    [...counts]
      .sort(([, a], [, b]) => b - a)
      .slice(0, top)
      .map(([name, samples]) => ({ name, share: samples / busy }));
  const busySeconds = ((profile.endTime - profile.startTime) / 1_000_000) * (busy / profile.samples.length);
  return { categories: shares(categories, 20), functions: shares(functions, 15), busySeconds };
}
