import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppModule } from './app.module.js';

const here = dirname(fileURLToPath(import.meta.url));
// The browser loads the reference client as the package ships it.
const client = dirname(fileURLToPath(import.meta.resolve('nestjs-pistachio/client')));

// Long-polling clients keep their connections open: let the app close them when it stops.
const app = await NestFactory.create<NestExpressApplication>(AppModule, { forceCloseConnections: true });
app.useStaticAssets(join(here, '..', 'public'));
app.useStaticAssets(client, { prefix: '/client/' });
app.enableShutdownHooks();
await app.listen(Number(process.env.PORT ?? 3000));

const { port } = app.getHttpServer().address() as AddressInfo;
console.log(`nestjs-pistachio sample: open http://localhost:${port}/`);
