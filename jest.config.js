/** Nest 12 is ESM-only, so Jest runs in ESM mode (node --experimental-vm-modules). */
export default {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/lib', '<rootDir>/test'],
  testRegex: '\\.spec\\.ts$',
  // The packaging test's fixture apps have tests of their own, run by their own Jest (test/packaging/).
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/packaging/fixtures/'],
  globalSetup: '<rootDir>/test/support/redis/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/redis/global-teardown.ts',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^nestjs-pistachio$': '<rootDir>/lib/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // PISTACHIO_IOREDIS=5 runs the tests, and the library's own import of ioredis, on ioredis 5 (the devDependency
    // `ioredis5`): the peer range is `^5 || ^6` (see the test:ioredis5 script).
    ...(process.env.PISTACHIO_IOREDIS === '5' ? { '^ioredis$': 'ioredis5' } : {}),
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.spec.json' }],
  },
};
