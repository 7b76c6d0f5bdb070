import { defineScripts } from './define-scripts.js';
import type { RedisCommands } from './redis-client.js';
import { settleBy } from './settle-by.js';
import type { Topology } from './topology.js';

/** How long a sweep waits for a master's answer before it takes from every key it asked about. */
const ANSWER_WITHIN_MS = 1_000;

/** A Lua test of what a key must hold to be worth a take. */
export interface SweepTest {
  /** The script's name on the connection (each test has its own). */
  name: string;
  /** Lua run once before the keys (e.g. reading the clock). */
  prelude: string;
  /** A Lua expression of `key`, true when it holds something to take; an error of `redis.pcall` counts as true. */
  holds: string;
}

/**
 * Which of many waited keys hold something, asked of each master in one script over the keys it serves (named in
 * ARGV: `allow-cross-slot-keys` lets one script read keys of several slots of its own master): the sweep that finds
 * what no wake-up announced costs a command per master and turn, not one per waiting endpoint.
 */
export class KeySweep {
  private readonly scripts: (client: RedisCommands) => Record<string, (...keys: string[]) => Promise<number[]>>;

  constructor(
    private readonly topology: Topology,
    private readonly test: SweepTest,
  ) {
    const lua = `#!lua flags=no-writes,allow-cross-slot-keys
${test.prelude}
local found = {}
for i, key in ipairs(ARGV) do
  if ${test.holds} then table.insert(found, i) end
end
return found`;
    this.scripts = defineScripts({ [test.name]: { numberOfKeys: 0, lua } });
  }

  /**
   * The keys that hold something; a master that cannot answer in time (away, or a slot moving) has all its keys
   * counted as holding something, to be tried one by one.
   */
  async holding(keys: string[]): Promise<string[]> {
    const byMaster = new Map<string | undefined, string[]>();
    for (const key of keys) {
      const owner = this.topology.ownerOf(key);
      const own = byMaster.get(owner);
      if (own) {
        own.push(key);
      } else {
        byMaster.set(owner, [key]);
      }
    }
    const found = await Promise.all(
      [...byMaster].map(async ([address, own]) => {
        const master = address === undefined ? undefined : this.topology.master(address);
        if (!master) {
          return own;
        }
        const asking = this.scripts(master.connection)[this.test.name](...own);
        const indexes = await settleBy(asking, Date.now() + ANSWER_WITHIN_MS, () => undefined).catch(() => undefined);
        return indexes === undefined ? own : indexes.map((index) => own[index - 1]);
      }),
    );
    return found.flat();
  }
}
