/** Stops the Redis and the Cluster that globalSetup started (those given by REDIS_URL or REDIS_CLUSTER_NODES are left alone). */
export default async function globalTeardown(): Promise<void> {
  await Promise.all([globalThis.pistachioTestRedis?.stop(), globalThis.pistachioTestCluster?.stop()]);
}
