import { Redis } from 'ioredis';
import { Agent } from 'node:http';
import type { DeliveryMode } from '../../lib/index.js';
import { BenchApp } from '../bench-app.process.js';
import { assertUnsurprised, LoopingPoller } from '../looping-poller.js';
import { poll } from '../poll.js';
import { endpointsListenedTo, Masters, until } from '../waiting-polls.js';

/** A steady load: `endpoints` looping pollers, the app publishing round-robin over them at `rate` for `seconds`. */
export interface SteadyLoad {
  endpoints: number;
  rate: number;
  seconds: number;
  delivery: DeliveryMode;
}

/** Commands per delivered message, in all and by command. */
export interface CommandCount {
  perMessage: number;
  byCommand: Record<string, number>;
}

/** What a steady load costs Redis per delivered message, in one delivery mode. */
export interface CommandCost {
  delivery: DeliveryMode;
  delivered: number;
  /** Commands the module sent (MONITOR, a script counting one), the driver's own left out. */
  sent: CommandCount;
  /** Commands Redis ran (INFO commandstats), those of scripts included. */
  executed: CommandCount;
}

/**
 * Redis commands per delivered message under a steady load on one Redis: what the module sends, by MONITOR (a script
 * is one command; the commands it runs show as `lua`), and what Redis runs, by `INFO commandstats`.
 */
export async function commandCost(app: BenchApp, url: string, load: SteadyLoad): Promise<CommandCost> {
  const admin = new Redis(url);
  const monitor = await monitoring(url);
  try {
    const sent: Record<string, number> = {};
    let counting = false;
    const driver = `:${admin.stream!.localPort}`;
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (counting && source !== 'lua' && !source.endsWith(driver)) {
        const name = args[0].toLowerCase();
        sent[name] = (sent[name] ?? 0) + 1;
      }
    });
    const delivered = await steadyLoad(app, admin, load, async (run) => {
      await admin.config('RESETSTAT');
      counting = true;
      await run();
      counting = false;
    });
    const executed = commandStats(await admin.info('commandstats'));
    // The driver's own INFO, CONFIG and SHARDCHANNELS questions are not the module's.
    delete executed.info;
    delete executed['config|resetstat'];
    return { delivery: load.delivery, delivered, sent: perMessage(sent, delivered), executed: perMessage(executed, delivered) };
  } finally {
    monitor.disconnect();
    admin.disconnect();
  }
}

/** How the commands of a steady load over many endpoints fell on each master of a Cluster. */
export interface MasterSpread {
  endpoints: number;
  delivered: number;
  masters: { address: string; commands: number }[];
  /** The largest distance of a master's count from their mean, as a fraction of it. */
  maxDeviation: number;
}

export async function masterSpread(app: BenchApp, masters: Redis[], load: SteadyLoad): Promise<MasterSpread> {
  const processed = async (redis: Redis) => Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1]);
  let before: number[] = [];
  const delivered = await steadyLoad(app, masters, load, async (run) => {
    before = await Promise.all(masters.map(processed));
    await run();
  });
  const after = await Promise.all(masters.map(processed));
  const counts = masters.map((redis, i) => ({ address: `${redis.options.host}:${redis.options.port}`, commands: after[i] - before[i] }));
  const mean = counts.reduce((sum, { commands }) => sum + commands, 0) / counts.length;
  const maxDeviation = Math.max(...counts.map(({ commands }) => Math.abs(commands - mean) / mean));
  return { endpoints: load.endpoints, delivered, masters: counts, maxDeviation };
}

/**
 * Runs a steady load (`measure` wraps the publishing, for what it counts around it) once every poller waits and every
 * endpoint is listened to; answers the messages delivered, all of them once the last publish has arrived.
 */
async function steadyLoad(app: BenchApp, masters: Masters, load: SteadyLoad, measure: (run: () => Promise<void>) => Promise<void>): Promise<number> {
  const { endpoints, rate, seconds, delivery } = load;
  const agent = new Agent({ keepAlive: true, maxSockets: endpoints });
  const pollers = Array.from({ length: endpoints }, (_, i) => new LoopingPoller(`${app.url}/messages/e${i}?timeout=5000`, { delivery }));
  let polling = true;
  const looping = pollers.map(async (poller) => {
    while (polling) {
      const answer = await poll(poller.next(), agent);
      poller.answered(answer.status, answer.headers, answer.body);
    }
  });
  const delivered = () => pollers.reduce((sum, poller) => sum + poller.messages, 0);
  try {
    await until(async () => (await app.call<number>('GET', '/bench/waiting?design=queues')) >= endpoints);
    await until(async () => (await endpointsListenedTo(masters, 'bench')) >= endpoints);
    let published = 0;
    await measure(async () => {
      published = (await app.call<{ sent: number }>('POST', `/bench/rate?rate=${rate}&endpoints=${endpoints}&seconds=${seconds}`)).sent;
      await until(async () => delivered() >= published, 10_000);
    });
    return delivered();
  } finally {
    polling = false;
    await Promise.all(looping);
    agent.destroy();
    assertUnsurprised(pollers);
  }
}

/**
 * A connection in MONITOR mode. ioredis's `monitor()` fails when another client's command is echoed in the reply that
 * carries MONITOR's OK (the connection is marked monitoring a tick later): that echo comes before anything is counted,
 * so it is let go.
 */
function monitoring(url: string): Promise<Redis> {
  const monitor = new Redis(url, { monitor: true });
  return new Promise((resolve, reject) => {
    monitor.on('error', (error: Error) => !error.message.startsWith('Command queue state error') && reject(error));
    monitor.once('monitoring', () => resolve(monitor));
  });
}

/** `INFO commandstats` as calls by command. */
function commandStats(info: string): Record<string, number> {
  return Object.fromEntries([...info.matchAll(/^cmdstat_(\S+):calls=(\d+)/gm)].map(([, name, calls]) => [name, Number(calls)]));
}

function perMessage(counts: Record<string, number>, delivered: number): CommandCount {
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const byCommand = Object.fromEntries(
    Object.entries(counts)
      .sort(([, a], [, b]) => b - a)
      .map(([name, count]) => [name, Math.round((count / delivered) * 100) / 100]),
  );
  return { perMessage: Math.round((total / delivered) * 100) / 100, byCommand };
}
