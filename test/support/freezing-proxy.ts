import { once } from 'node:events';
import { createServer, Server, Socket, connect } from 'node:net';

/**
 * A TCP proxy on the loopback in front of a server, that can freeze the connections it carries: they stay open but
 * nothing goes through any more, as when a network drops packets without closing anything. Connections made after a
 * freeze go through.
 */
export class FreezingProxy {
  private readonly pairs = new Set<[Socket, Socket]>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(targetUrl: string): Promise<FreezingProxy> {
    const target = new URL(targetUrl);
    let proxy!: FreezingProxy;
    const server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      const pair: [Socket, Socket] = [client, upstream];
      proxy.pairs.add(pair);
      client.pipe(upstream).pipe(client);
      for (const socket of pair) {
        socket.on('error', () => undefined);
        socket.on('close', () => {
          pair.forEach((other) => other.destroy());
          proxy.pairs.delete(pair);
        });
      }
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    proxy = new FreezingProxy(server, `redis://127.0.0.1:${port}`);
    return proxy;
  }

  /** Stops every connection open now from carrying anything either way, without closing it. */
  freeze(): void {
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  async close(): Promise<void> {
    this.pairs.forEach((pair) => pair.forEach((socket) => socket.destroy()));
    this.server.close();
    await once(this.server, 'close');
  }
}
