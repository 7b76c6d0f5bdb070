import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { concatMap, Observable } from 'rxjs';

/**
 * Holds the answers of one endpoint after the route has received its message and before the answer is written,
 * until released: the moment to make a client leave when its message was already popped.
 */
@Injectable()
export class HoldInterceptor implements NestInterceptor {
  readonly holding: Promise<void>;
  private announceHolding!: () => void;
  private release!: () => void;
  private readonly released = new Promise<void>((resolve) => (this.release = resolve));

  constructor(private readonly endpoint: string) {
    this.holding = new Promise((resolve) => (this.announceHolding = resolve));
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.switchToHttp().getRequest().params.endpoint !== this.endpoint) {
      return next.handle();
    }
    return next.handle().pipe(
      concatMap(async (answer) => {
        this.announceHolding();
        await this.released;
        return answer;
      }),
    );
  }

  letGo(): void {
    this.release();
  }
}
