import { AbstractHttpAdapter } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { backends, BrokerFixture, brokers } from './brokers.js';

/** An HTTP adapter the suites run on: every behaviour of the route holds on each. */
export interface AdapterFixture {
  name: string;
  /** A new adapter for one app; `undefined` is Nest's default, Express. */
  create(): AbstractHttpAdapter | undefined;
}

export const adapters: AdapterFixture[] = [
  { name: 'express', create: () => undefined },
  // Endpoint names go up to 128 characters, beyond the default limit of Fastify's router (see README, Fastify).
  { name: 'fastify', create: () => new FastifyAdapter({ routerOptions: { maxParamLength: 1024 } }) },
];

/** Every broker on every adapter: the conformance suites' matrix. */
export const setups = matrix(brokers);
/** Every backend on every adapter, for the suites that choose the delivery mode themselves. */
export const backendSetups = matrix(backends);

function matrix(fixtures: BrokerFixture[]): { name: string; broker: BrokerFixture; adapter: AdapterFixture }[] {
  return fixtures.flatMap((broker) =>
    adapters.map((adapter) => ({ name: `the ${broker.name} broker on ${adapter.name}`, broker, adapter })),
  );
}
