import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AddressInfo } from 'node:net';
import { PistachioModule, PistachioModuleOptions } from '../../lib/index.js';

/** An app of a user's in a process of its own (see app-instance.ts): the module options come as JSON in argv[2]. */
const options = JSON.parse(process.argv[2]) as PistachioModuleOptions;

@Module({ imports: [PistachioModule.forRoot(options)] })
class AppInstanceModule {}

// The instance dies with the test process even when that is killed outright: our standard input closes then.
process.stdin.on('end', () => process.exit(1)).resume();

const app = await NestFactory.create(AppInstanceModule);
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
console.log(`listening ${(app.getHttpServer().address() as AddressInfo).port}`);
