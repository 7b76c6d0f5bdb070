import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, succeeded } from './consumer-apps.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** The names an API report (scripts/api-report.mjs) says its entry exports. */
async function exportedNames(report: string): Promise<Set<string>> {
  const text = await readFile(join(repo, 'api', report), 'utf8');
  // `export declare class X`, `export type X`, …, after the `// exported as Y` of an alias and a deprecation mark.
  const exported = /^(?:\/\/ exported as (\w+)\n)?(?:\/\*\* @deprecated \*\/\n)?export (?:declare |abstract )*\w+ (\w+)/gm;
  return new Set([...text.matchAll(exported)].map(([, alias, name]) => alias ?? name));
}

/** Review sees the public API in api/*.api.md: every change of it must show there. */
describe('the API report', () => {
  it('is current (else: npm run api:report, and commit api/)', async () => {
    // On failure the script names the stale reports and the lines that changed.
    succeeded(await run(process.execPath, ['scripts/api-report.mjs', '--check'], repo));
  }, 120_000);

  it('gives each name one shape: the client and the server entries export no name in common', async () => {
    const server = await exportedNames('nestjs-pistachio.api.md');
    const client = await exportedNames('nestjs-pistachio-client.api.md');
    expect(server.size).toBeGreaterThan(0);
    expect(client.size).toBeGreaterThan(0);
    expect([...client].filter((name) => server.has(name))).toEqual([]);
  });
});
