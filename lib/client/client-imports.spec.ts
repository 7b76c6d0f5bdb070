import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const folder = dirname(fileURLToPath(import.meta.url));
const sources = readdirSync(folder).filter((file) => file.endsWith('.ts') && !file.endsWith('.spec.ts'));

describe('nestjs-pistachio/client', () => {
  it.each(sources)('%s imports only files of the client itself (no Nest, ioredis or Node built-ins)', (file) => {
    const source = readFileSync(join(folder, file), 'utf8');
    const specifiers = [...source.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((match) => match[1]);
    expect(specifiers.filter((specifier) => !/^\.\/[\w.-]+\.js$/.test(specifier))).toEqual([]);
  });
});
