import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { InjectPistachioHealthIndicator, PistachioHealthIndicator } from 'nestjs-pistachio';

/** `GET /health` for load balancers and orchestrators: 200 while both registrations can serve, else 503 and why. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly queues: PistachioHealthIndicator,
    @InjectPistachioHealthIndicator('broadcast') private readonly channels: PistachioHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.queues.isHealthy('pistachio'),
      () => this.channels.isHealthy('pistachio-broadcast'),
    ]);
  }
}
