import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { PistachioHealthIndicator } from 'nestjs-pistachio';

/** `GET /health` for load balancers and orchestrators: 200 while the broker can serve, 503 with the reason when not. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly pistachio: PistachioHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.pistachio.isHealthy('pistachio')]);
  }
}
