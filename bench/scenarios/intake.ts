import { connect, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { BenchApp } from '../bench-app.process.js';
import { cpuMicrosOf, listenQueueDrops } from '../peer/proc.js';
import { until } from '../waiting-polls.js';

/** The server the module's intake is measured beside (SERVER=node or nest), to start with `startBenchApp`. */
export const HOLDING_APP = fileURLToPath(new URL('../holding-app.js', import.meta.url));

/** A server as the intake drives it: where a poll goes, how many it holds, and its process. */
export interface IntakeTarget {
  /** Its port on 127.0.0.1. */
  port: number;
  /** Its process, whose CPU is read from /proc. */
  pid: number;
  /** The path of a poll on `endpoint`. */
  path(endpoint: string): string;
  /** Polls it holds now. */
  held(): Promise<number>;
}

const portOf = (app: BenchApp) => Number(new URL(app.url).port);

/** A holding server (holding-app.ts): `/poll/<endpoint>`, and `/held`. */
export const holdingTarget = (app: BenchApp): IntakeTarget => ({
  port: portOf(app),
  pid: app.pid,
  path: (endpoint) => `/poll/${endpoint}`,
  held: () => app.call<number>('GET', '/held'),
});

/** The bench app's queues (`/messages/<endpoint>`): a poll is held once it waits in the registration. */
export const moduleTarget = (app: BenchApp): IntakeTarget => ({
  port: portOf(app),
  pid: app.pid,
  path: (endpoint) => `/messages/${endpoint}`,
  held: () => app.call<number>('GET', '/bench/waiting?design=queues'),
});

export interface Intake {
  /** Polls opened, each on a connection of its own and an endpoint of its own (e0 …). */
  count: number;
  /** Polls opened at a time: the next group once every poll of the last has been written. */
  group: number;
  /** Polls whose request the client wrote (its write callback, the poll's `finish`). */
  written: number;
  /** Polls the server held at the end: all of them, unless it had not after 30 s. */
  held: number;
  /** Polls whose connection failed (refused, reset, or the write). */
  errors: number;
  /** Polls the server answered or closed before the end (none should be). */
  answered: number;
  /** Seconds from the first connection to the last request written: the intake. */
  seconds: number;
  /** Seconds from the first connection to all polls held (or to the 30 s given up after). */
  heldSeconds: number;
  /** The server's CPU over those `heldSeconds`. */
  cpuSeconds: number;
  /** The machine's accept-queue overflows over them (TcpExt ListenOverflows). */
  listenOverflows: number;
  /** All connections dropped at a listening socket over them, the overflows among them (TcpExt ListenDrops). */
  listenDrops: number;
}

/** How long the server may take to hold every poll written. */
const HELD_DEADLINE = 30_000;

/**
 * `count` polls on distinct endpoints, `group` at a time, each a raw `GET` written on a connection of its own as soon as
 * it opens: how long the server takes them in (the last request written), until it holds them all, and its CPU and the
 * listen-queue overflows over that time. Then the clients leave.
 */
export async function intake(target: IntakeTarget, count: number, group: number): Promise<Intake> {
  const sockets: Socket[] = [];
  let written = 0;
  let errors = 0;
  let answered = 0;
  let ended = false;
  let lastWritten = 0;

  /** Resolves once the request is written, or the connection has failed or closed. */
  const open = (i: number) =>
    new Promise<void>((resolve) => {
      const socket = connect(target.port, '127.0.0.1');
      sockets.push(socket);
      let failed = false;
      socket.on('error', () => {
        errors += failed ? 0 : 1;
        failed = true;
      });
      // Any answer before the end is one the server should not have given (a 504, a 503 …), as is a close.
      const early = () => {
        if (!ended && !failed) {
          answered += 1;
          failed = true;
        }
      };
      socket.once('data', early);
      socket.on('close', () => (early(), resolve()));
      socket.write(`GET ${target.path(`e${i}`)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, (error) => {
        if (!error) {
          written += 1;
          lastWritten = performance.now();
        }
        resolve();
      });
    });

  const overflowsBefore = listenQueueDrops();
  const cpuBefore = cpuMicrosOf([target.pid]);
  const started = performance.now();
  for (let first = 0; first < count; first += group) {
    await Promise.all(Array.from({ length: Math.min(group, count - first) }, (_, k) => open(first + k)));
  }
  let held = 0;
  await until(async () => (held = await target.held()) >= count, HELD_DEADLINE);
  const heldAt = performance.now();
  const cpuMicros = cpuMicrosOf([target.pid]) - cpuBefore;
  const overflowsAfter = listenQueueDrops();

  ended = true;
  sockets.forEach((socket) => socket.destroy());
  return {
    count,
    group,
    written,
    held,
    errors,
    answered,
    seconds: (lastWritten - started) / 1_000,
    heldSeconds: (heldAt - started) / 1_000,
    cpuSeconds: cpuMicros / 1_000_000,
    listenOverflows: overflowsAfter.overflows - overflowsBefore.overflows,
    listenDrops: overflowsAfter.drops - overflowsBefore.drops,
  };
}
