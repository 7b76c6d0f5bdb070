import 'reflect-metadata';
import { BeforeApplicationShutdown, Controller, Get, Module, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createServer, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rawResponse } from '../lib/http/departure-signal.js';

/**
 * A server that holds every poll it gets until the client leaves, run in a process of its own: what the module's intake
 * of polls is measured beside (scenarios/intake.ts). SERVER=node: a plain `node:http` server; SERVER=nest (the
 * default): a bare Nest app on ADAPTER=express (default) or fastify, its one route `GET /poll/:endpoint`. Both answer `GET /held` with how
 * many requests they hold now, and print `listening <port>` as app.ts does.
 */

/** A plain `node:http` server holding every request but `GET /held`. */
async function plainServer(): Promise<AddressInfo> {
  const held = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    if (request.url === '/held') {
      response.setHeader('Content-Type', 'application/json');
      response.end(JSON.stringify(held.size));
      return;
    }
    held.add(response);
    response.on('close', () => held.delete(response));
  });
  // BenchApp.stop sends SIGTERM: the held connections are cut, so that the server closes and the process ends.
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address() as AddressInfo;
}

/** The polls the bare Nest app holds, each by the function that releases it. */
const holding = new Set<() => void>();


@Controller()
class HoldingController implements BeforeApplicationShutdown {
  @Get('held')
  held(): number {
    return holding.size;
  }

  /** Holds the request until its response closes (the client has left), as the bench app's `bare` route. */
  @Get('poll/:endpoint')
  async poll(@Res({ passthrough: true }) response: object): Promise<string> {
    await new Promise<void>((resolve) => {
      const release = () => {
        holding.delete(release);
        resolve();
      };
      holding.add(release);
      rawResponse(response).on('close', release);
    });
    return '';
  }

  // Released on shutdown, or the server's close would wait for every held request.
  beforeApplicationShutdown(): void {
    holding.forEach((release) => release());
  }
}

@Module({ controllers: [HoldingController] })
class HoldingModule {}

/** A bare Nest app on ADAPTER: no module of ours, the one holding controller. */
async function bareNest(): Promise<AddressInfo> {
  const options = { logger: ['error' as const] };
  const app =
    process.env.ADAPTER === 'fastify'
      ? await NestFactory.create(HoldingModule, new FastifyAdapter(), options)
      : await NestFactory.create(HoldingModule, options);
  app.enableShutdownHooks();
  await app.listen(0, '127.0.0.1');
  return app.getHttpServer().address() as AddressInfo;
}

const { port } = process.env.SERVER === 'node' ? await plainServer() : await bareNest();
console.log(`listening ${port}`);
