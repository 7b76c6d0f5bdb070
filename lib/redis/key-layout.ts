/**
 * The module's keys and channels beside an endpoint's key `<namespace>:<endpoint>` (which stays as the original
 * Pistachio had it, so that any client may RPUSH to it): `{<namespace>:<endpoint>}#<suffix>`. A key without braces
 * hashes whole, so both land in one Cluster hash slot; endpoint names cannot hold braces or `#`, so none can name them.
 */
export function companionKey(key: string, suffix: string): string {
  return `{${key}}#${suffix}`;
}

const WAKE = 'wake';

/** The shard channel whose messages wake the instances that wait on `key`. */
export function wakeChannel(key: string): string {
  return companionKey(key, WAKE);
}

/** The key whose wake channel `channel` is; undefined for any other channel. */
export function keyOfWakeChannel(channel: string): string | undefined {
  const suffix = `}#${WAKE}`;
  return channel.startsWith('{') && channel.endsWith(suffix) ? channel.slice(1, -suffix.length) : undefined;
}
