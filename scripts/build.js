// Builds the package's two module formats: ES modules into <out>/esm, CommonJS into <out>/cjs.
// `node scripts/build.js [out]` (default dist/); the packaging test builds into a directory of its own.
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const out = resolve(process.argv[2] ?? join(repo, 'dist'));
const tsc = join(repo, 'node_modules/typescript/bin/tsc');

async function compile(tsconfig, format) {
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', join(repo, tsconfig), '--outDir', join(out, format)]);
  } catch (error) {
    throw new Error(`tsc -p ${tsconfig} failed:\n${error.stdout}${error.stderr}`);
  }
}

await rm(out, { recursive: true, force: true });
await Promise.all([compile('tsconfig.build.json', 'esm'), compile('tsconfig.build.cjs.json', 'cjs')]);
// The package is "type": "module": without this marker Node would read dist/cjs/*.js (and TS their .d.ts) as ESM.
await mkdir(join(out, 'cjs'), { recursive: true });
await writeFile(join(out, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
