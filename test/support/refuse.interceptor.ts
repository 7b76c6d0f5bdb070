import { CallHandler, ExecutionContext, HttpException, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { Observable } from 'rxjs';

export interface Refusal {
  status: number;
  headers?: Record<string, string>;
}

/** Answers a poll with an error instead of the route whenever `refuse` says so: a misbehaving server, on demand. */
@Injectable()
export class RefuseInterceptor implements NestInterceptor {
  constructor(private readonly refuse: (request: Request) => Refusal | undefined) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const refusal = this.refuse(context.switchToHttp().getRequest<Request>());
    if (!refusal) {
      return next.handle();
    }
    // Express's response is Node's; Fastify's reply has it as `raw`.
    const response = context.switchToHttp().getResponse<Response | { raw: Response }>();
    const raw = 'raw' in response ? response.raw : response;
    Object.entries(refusal.headers ?? {}).forEach(([name, value]) => raw.setHeader(name, value));
    throw new HttpException(`refused with ${refusal.status}`, refusal.status);
  }
}
