interface Expiring<V> {
  value: V;
  expiry: NodeJS.Timeout;
}

/** Values by key that are deleted `ttl` after they were last written to, as Redis keys with a PEXPIRE are. */
export class ExpiringMap<V> {
  private readonly values = new Map<string, Expiring<V>>();

  constructor(
    private readonly ttl: number,
    private readonly create: () => V,
  ) {}

  /** The value of `key`, if it exists; reading does not keep it alive. */
  get(key: string): V | undefined {
    return this.values.get(key)?.value;
  }

  /** The value of `key` to write to, created if need be, its expiry pushed back. */
  write(key: string): V {
    const existing = this.values.get(key);
    if (existing) {
      existing.expiry.refresh();
      return existing.value;
    }
    const created = { value: this.create(), expiry: setTimeout(() => this.delete(key), this.ttl).unref() };
    this.values.set(key, created);
    return created.value;
  }

  delete(key: string): void {
    clearTimeout(this.values.get(key)?.expiry);
    this.values.delete(key);
  }

  /** Keeps every value from now on: their timers would only hold the process up. */
  stopExpiring(): void {
    this.values.forEach(({ expiry }) => clearTimeout(expiry));
  }
}
