import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** What Linux's /proc tells of processes the bench cannot ask (nginx's workers, the intake's holding servers), and of the machine. */

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })) || 100;
const pageBytes = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' })) || 4_096;

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces): [0] is the state, [1] the parent. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    // It has exited.
    return undefined;
  }
}

/** The processes whose parent is `pid` (nginx's workers, of its master). */
export function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((child) => statFields(child)?.[1] === String(pid));
}

/** User and system CPU time of these processes so far, in microseconds (at the kernel's clock tick, 10 ms here). */
export function cpuMicrosOf(pids: number[]): number {
  return pids.reduce((sum, pid) => {
    const fields = statFields(pid);
    return sum + (fields ? ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / ticksPerSecond : 0);
  }, 0);
}

/** Resident memory of these processes, in bytes. */
export function rssOf(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + Number(statFields(pid)?.[21] ?? 0) * pageBytes, 0);
}

/** The machine's busy and total CPU time so far (all cores, in clock ticks), from the first line of /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  const ticks = values.map(Number);
  const total = ticks.slice(0, 8).reduce((sum, value) => sum + value, 0);
  // idle and iowait.
  return { busy: total - ticks[3] - ticks[4], total };
}

/**
 * The machine's listen-queue counters so far (TcpExt in /proc/net/netstat, of this network namespace): connections
 * dropped for a full accept queue (overflows), and all dropped at a listening socket (drops, the overflows among them).
 */
export function listenQueueDrops(): { overflows: number; drops: number } {
  const [names, values] = readFileSync('/proc/net/netstat', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('TcpExt:'))
    .map((line) => line.trim().split(/\s+/));
  const counter = (name: string) => Number(values[names.indexOf(name)]);
  return { overflows: counter('ListenOverflows'), drops: counter('ListenDrops') };
}
