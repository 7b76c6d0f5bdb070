import { Module } from '@nestjs/common';
import { RedisDeployments } from './redis-deployments.js';

/**
 * Imported by every registration: a module without options is one instance per app, so its RedisDeployments is the
 * one place where the app's registrations find the connections they share.
 */
@Module({ providers: [RedisDeployments], exports: [RedisDeployments] })
export class PistachioRedisModule {}
