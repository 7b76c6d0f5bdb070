import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { EventEmitter, once } from 'node:events';
import { Observable } from 'rxjs';

/**
 * A global interceptor that counts the polls reaching the route per endpoint, so that a test can wait for the
 * server to hold a poll instead of sleeping. Applied globally, it also proves the route runs app interceptors.
 */
@Injectable()
export class ArrivalsInterceptor implements NestInterceptor {
  private readonly counts = new Map<string, number>();
  private readonly events = new EventEmitter().setMaxListeners(0);

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const endpoint: string = context.switchToHttp().getRequest().params.endpoint;
    this.counts.set(endpoint, this.count(endpoint) + 1);
    this.events.emit('arrival');
    return next.handle();
  }

  count(endpoint: string): number {
    return this.counts.get(endpoint) ?? 0;
  }

  /** Resolves once `n` polls in all have reached the route for `endpoint`. */
  async reached(endpoint: string, n = 1): Promise<void> {
    while (this.count(endpoint) < n) {
      await once(this.events, 'arrival');
    }
  }
}
