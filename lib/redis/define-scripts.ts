import type { RedisCommands } from './redis-client.js';

interface ScriptDefinition {
  numberOfKeys: number;
  lua: string;
}

/**
 * A typed view of Lua scripts on a client (each also as `<name>Buffer`, answering Buffers), defined on each client the first time it is asked for (registrations
 * share clients; a durable connection has its own). ioredis sends them by their SHA and loads them when a node lacks them.
 */
export function defineScripts<Scripts>(definitions: Record<string, ScriptDefinition>): (client: RedisCommands) => Scripts {
  const defined = new WeakSet<object>();
  return (client) => {
    if (!defined.has(client)) {
      const definer = client as unknown as { defineCommand(name: string, definition: ScriptDefinition): void };
      Object.entries(definitions).forEach(([name, definition]) => definer.defineCommand(name, definition));
      defined.add(client);
    }
    return client as unknown as Scripts;
  };
}
