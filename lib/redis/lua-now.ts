/** Lua: Redis's clock in milliseconds, `now`, so that every instance measures deadlines and due times on one clock. */
export const LUA_NOW = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)`;
