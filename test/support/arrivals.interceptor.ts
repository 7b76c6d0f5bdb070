import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable } from 'rxjs';

interface Expectation {
  count: number;
  resolve(): void;
}

/**
 * A global interceptor that counts the polls reaching the route per endpoint, so that a test can wait for the
 * server to hold a poll instead of sleeping. Applied globally, it also proves the route runs app interceptors.
 */
@Injectable()
export class ArrivalsInterceptor implements NestInterceptor {
  private readonly counts = new Map<string, number>();
  private readonly expectations = new Map<string, Expectation[]>();

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const endpoint: string = context.switchToHttp().getRequest().params.endpoint;
    const count = this.count(endpoint) + 1;
    this.counts.set(endpoint, count);
    const waiting = this.expectations.get(endpoint) ?? [];
    const pending = waiting.filter((expectation) => expectation.count > count);
    waiting.filter((expectation) => expectation.count <= count).forEach((expectation) => expectation.resolve());
    this.expectations.set(endpoint, pending);
    return next.handle();
  }

  count(endpoint: string): number {
    return this.counts.get(endpoint) ?? 0;
  }

  /** Resolves once `count` polls in all have reached the route for `endpoint`. */
  reached(endpoint: string, count = 1): Promise<void> {
    if (this.count(endpoint) >= count) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.expectations.set(endpoint, [...(this.expectations.get(endpoint) ?? []), { count, resolve }]);
    });
  }
}
