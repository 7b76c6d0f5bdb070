import { Module } from '@nestjs/common';
import { PistachioModule } from 'nestjs-pistachio';
import { PublishController } from './publish.controller.js';

@Module({
  imports: [
    PistachioModule.forRoot({
      namespace: 'sample',
      path: '/messages',
      timeout: 30_000,
      // With REDIS_URL set, every instance of the sample shares the queues; without it they live in this process.
      redis: process.env.REDIS_URL || undefined,
    }),
  ],
  controllers: [PublishController],
})
export class AppModule {}
