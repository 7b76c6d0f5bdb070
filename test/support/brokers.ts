import { PistachioModuleOptions } from '../../lib/index.js';

/** A broker under test: the module options that select it. */
export interface BrokerFixture {
  name: string;
  options(): Partial<PistachioModuleOptions>;
}

export const brokers: BrokerFixture[] = [{ name: 'memory', options: () => ({}) }];

let namespaces = 0;

/** A namespace no other test uses, so that tests sharing one broker server never see each other's messages. */
export function freshNamespace(): string {
  return `test${process.pid}-${++namespaces}`;
}
