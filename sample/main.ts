import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { PistachioService } from 'nestjs-pistachio';
import { AppModule } from './app.module.js';

const app = await NestFactory.create(AppModule);
app.enableShutdownHooks();
const port = Number(process.env.PORT ?? 3000);
await app.listen(port);

const url = `http://localhost:${port}`;
const pistachio = app.get(PistachioService);
let tick = 0;
setInterval(() => void pistachio.publish('clock', `tick ${++tick} at ${new Date().toISOString()}`), 2_000).unref();
console.log(`Poll ${url}/messages/clock (a message every 2 s), e.g. curl -i ${url}/messages/clock`);
