/** Stops the Redis that globalSetup started (one given by REDIS_URL is left alone). */
export default async function globalTeardown(): Promise<void> {
  await globalThis.pistachioTestRedis?.stop();
}
