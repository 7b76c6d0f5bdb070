import type { Command, Redis } from 'ioredis';

/** ioredis's Command class, from the ioredis the app loaded (an optional peer, so never imported statically). */
export type CommandClass = typeof Command;

const CRLF = '\r\n';

/** A key as one bulk string of the Redis protocol: `$<bytes>\r\n<key>\r\n`. */
function bulk(text: string): Buffer {
  return Buffer.from(`$${Buffer.byteLength(text)}${CRLF}${text}${CRLF}`);
}

/**
 * The BLPOPs of one blocking reader, over many keys, written from the protocol bytes of each key, kept for as long
 * as the key is read: ioredis would flatten and encode every key again for every read, about half a millisecond of
 * CPU per 2,500 keys, paid on every message at 10,000 waiting polls.
 */
export class BlockingPops {
  private readonly encoded = new Map<string, Buffer>();

  constructor(
    private readonly redis: Redis,
    private readonly Command: CommandClass,
  ) {}

  /** `BLPOP keys… seconds`, with buffers for replies, as ioredis's `blpopBuffer` sends it. */
  send(keys: Iterable<string>, seconds: number): Promise<[Buffer, Buffer] | null> {
    const args: string[] = [];
    const chunks: Buffer[] = [];
    for (const key of keys) {
      let encoded = this.encoded.get(key);
      if (encoded === undefined) {
        encoded = bulk(key);
        this.encoded.set(key, encoded);
      }
      args.push(key);
      chunks.push(encoded);
    }
    args.push(String(seconds));
    chunks.unshift(Buffer.from(`*${args.length + 1}${CRLF}`), bulk('blpop'));
    chunks.push(bulk(String(seconds)));
    const command = new this.Command('blpop', [], { replyEncoding: null });
    // Kept as they are, for ioredis's own bookkeeping (its debug log, the block timeout it reads).
    command.args = args;
    const bytes = Buffer.concat(chunks);
    command.toWritable = () => bytes;
    return this.redis.sendCommand(command) as Promise<[Buffer, Buffer] | null>;
  }

  /** Forgets the bytes of keys no longer read. */
  forget(key: string): void {
    this.encoded.delete(key);
  }
}
