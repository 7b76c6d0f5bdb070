import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { isDeepStrictEqual } from 'node:util';
import { isClient, RedisOption } from './connect-redis.js';
import { RedisDeployment } from './redis-deployment.js';

interface Shared {
  redis: RedisOption;
  opening: Promise<RedisDeployment>;
  users: number;
}

/**
 * The Redis deployments of one app, each opened once and shared by every registration whose `redis` option is the
 * same client, or equal connection options: a registration acquires its deployment when its broker connects and
 * releases it when the broker closes; the last release closes it.
 */
@Injectable()
export class RedisDeployments implements OnApplicationShutdown {
  private readonly shared: Shared[] = [];

  /** The deployment `redis` names, connected (by this call, named after `namespace`, if nobody else has). */
  async acquire(redis: RedisOption, namespace: string): Promise<RedisDeployment> {
    let shared = this.shared.find((candidate) => sameDeployment(candidate.redis, redis));
    if (!shared) {
      const opening = RedisDeployment.open(redis, namespace);
      shared = { redis, opening, users: 0 };
      this.shared.push(shared);
      // A deployment that could not open is forgotten, so that the next registration tries again.
      opening.catch(() => this.forget(opening));
    }
    shared.users++;
    return shared.opening;
  }

  async release(deployment: RedisDeployment): Promise<void> {
    for (const shared of this.shared) {
      if ((await shared.opening.catch(() => undefined)) === deployment && --shared.users === 0) {
        this.forget(shared.opening);
        await deployment.close();
      }
    }
  }

  /** Closes what registrations left open (one whose broker failed to start, for instance). */
  async onApplicationShutdown(): Promise<void> {
    const left = this.shared.splice(0);
    await Promise.all(left.map(({ opening }) => opening.then((deployment) => deployment.close(), () => undefined)));
  }

  private forget(opening: Promise<RedisDeployment>): void {
    const index = this.shared.findIndex((shared) => shared.opening === opening);
    if (index >= 0) {
      this.shared.splice(index, 1);
    }
  }
}

/** The same client, or options that connect the same way (functions such as a retry strategy compared by identity). */
function sameDeployment(a: RedisOption, b: RedisOption): boolean {
  return a === b || (!isClient(a) && !isClient(b) && isDeepStrictEqual(a, b));
}
