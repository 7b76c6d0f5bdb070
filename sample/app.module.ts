import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { PistachioModule } from 'nestjs-pistachio';
import { HealthController } from './health.controller.js';
import { PublishController } from './publish.controller.js';

@Module({
  imports: [
    PistachioModule.forRoot({
      namespace: 'sample',
      path: '/messages',
      timeout: 30_000,
      // With REDIS_URL set, every instance of the sample shares the queues; without it they live in this process.
      redis: process.env.REDIS_URL || undefined,
      metrics: true,
    }),
    TerminusModule,
    // Serves prom-client's default registry, where `metrics: true` puts the registration's metrics, at /metrics.
    PrometheusModule.register(),
  ],
  controllers: [PublishController, HealthController],
})
export class AppModule {}
