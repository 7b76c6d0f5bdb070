import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { finalize, Observable } from 'rxjs';

/** Counts per key, with promises that resolve when a count is reached. */
class Tally {
  private readonly counts = new Map<string, number>();
  private readonly expectations = new Map<string, { count: number; resolve(): void }[]>();

  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  add(key: string): void {
    const count = this.count(key) + 1;
    this.counts.set(key, count);
    const expectations = this.expectations.get(key) ?? [];
    expectations.filter((expectation) => expectation.count <= count).forEach((expectation) => expectation.resolve());
    this.expectations.set(
      key,
      expectations.filter((expectation) => expectation.count > count),
    );
  }

  reached(key: string, count: number): Promise<void> {
    if (this.count(key) >= count) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.expectations.set(key, [...(this.expectations.get(key) ?? []), { count, resolve }]);
    });
  }
}

/**
 * A global interceptor that counts, per endpoint, the polls that reach the route and the polls that the route is done
 * with, so that a test can wait for the server instead of sleeping. Applied globally, it also proves the route runs
 * app interceptors.
 */
@Injectable()
export class ArrivalsInterceptor implements NestInterceptor {
  private readonly arrived = new Tally();
  private readonly settled = new Tally();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const endpoint: string = context.switchToHttp().getRequest().params.endpoint;
    this.arrived.add(endpoint);
    return next.handle().pipe(finalize(() => this.settled.add(endpoint)));
  }

  count(endpoint: string): number {
    return this.arrived.count(endpoint);
  }

  /** Resolves once `count` polls in all have reached the route for `endpoint`. */
  reached(endpoint: string, count = 1): Promise<void> {
    return this.arrived.reached(endpoint, count);
  }

  /** Resolves once the route is done with `count` polls in all for `endpoint` (answered, or their client gone). */
  done(endpoint: string, count = 1): Promise<void> {
    return this.settled.reached(endpoint, count);
  }
}
