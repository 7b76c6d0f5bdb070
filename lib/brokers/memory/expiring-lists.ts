import Denque from 'denque';

interface ExpiringList<T> {
  items: Denque<T>;
  expiry: NodeJS.Timeout;
}

/** Lists by key that are deleted `ttl` after they were last written to, as Redis keys with a PEXPIRE are. */
export class ExpiringLists<T> {
  private readonly lists = new Map<string, ExpiringList<T>>();

  constructor(private readonly ttl: number) {}

  /** The list of `key`, if it exists; reading does not keep it alive. */
  get(key: string): Denque<T> | undefined {
    return this.lists.get(key)?.items;
  }

  /** The list of `key` to write to, created if need be, its expiry pushed back. */
  write(key: string): Denque<T> {
    const list = this.lists.get(key);
    if (list) {
      list.expiry.refresh();
      return list.items;
    }
    const created = { items: new Denque<T>(), expiry: setTimeout(() => this.delete(key), this.ttl).unref() };
    this.lists.set(key, created);
    return created.items;
  }

  delete(key: string): void {
    clearTimeout(this.lists.get(key)?.expiry);
    this.lists.delete(key);
  }

  /** Keeps every list from now on: their timers would only hold the process up. */
  stopExpiring(): void {
    this.lists.forEach(({ expiry }) => clearTimeout(expiry));
  }
}
