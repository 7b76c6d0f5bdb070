import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { PistachioModule } from 'nestjs-pistachio';
import { HealthController } from './health.controller.js';
import { PublishController } from './publish.controller.js';

/** What both registrations share. */
const common = {
  // With REDIS_URL set, every instance of the sample shares the queues and channels; without it, this process has them.
  redis: process.env.REDIS_URL || undefined,
  metrics: true,
};

@Module({
  imports: [
    PistachioModule.forRoot({ namespace: 'sample', path: '/messages', timeout: 30_000, ...common }),
    // A second registration, named so that it is injected by its name: every endpoint of /channels is a broadcast
    // channel, where each subscriber gets every message. Its own namespace keeps its keys apart from the queues'.
    PistachioModule.forRoot({
      name: 'broadcast',
      namespace: 'sample-broadcast',
      path: '/channels',
      mode: 'broadcast',
      ...common,
    }),
    TerminusModule,
    // Serves prom-client's default registry, where `metrics: true` puts both registrations' metrics, at /metrics.
    PrometheusModule.register(),
  ],
  controllers: [PublishController, HealthController],
})
export class AppModule {}
