// The API report: for each entry of package.json "exports", the declarations its users see, in api/<entry>.api.md.
// `node scripts/api-report.mjs` rewrites the reports; `--check` changes nothing and fails if one is stale (CI runs it
// through test/packaging/api-report.spec.ts), so that every change of the public API shows in review.
// @microsoft/api-extractor 8.0.0 bundles TypeScript 3.1, which cannot read TS 6 declarations (`import type`), even
// given our compiler: this script does the same job with the project's own TypeScript.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const reportDir = join(repo, 'api');
// The declarations exist in memory only, under a directory of the repo so that their imports resolve to node_modules.
const declarationDir = join(repo, '.api-report-declarations');

/** The declarations the build emits (tsconfig.build.json), by path; and where the build puts them. */
function emitDeclarations() {
  const config = ts.getParsedCommandLineOfConfigFile(join(repo, 'tsconfig.build.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => fail(format([diagnostic])),
  });
  const program = ts.createProgram(config.fileNames, {
    ...config.options,
    declaration: true,
    emitDeclarationOnly: true,
    noEmit: false,
    outDir: declarationDir,
  });
  const files = new Map();
  const { diagnostics } = program.emit(undefined, (path, text) => files.set(resolve(path), text));
  // Type errors are the typecheck's to report; an emit error means declarations that are not what users would get.
  if (diagnostics.length > 0) {
    fail(`the declarations cannot be emitted:\n${format(diagnostics)}`);
  }
  return { files, outDir: config.options.outDir };
}

/** A program over the emitted declarations: it sees what a user's compiler sees. */
function declarationProgram(files, rootNames) {
  const options = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
    skipLibCheck: true,
    noEmit: true,
  };
  const host = ts.createCompilerHost(options);
  const inMemory = (path) => resolve(path).startsWith(declarationDir + sep);
  const getSourceFile = host.getSourceFile;
  host.getSourceFile = (path, language, onError, create) =>
    inMemory(path)
      ? ts.createSourceFile(path, files.get(resolve(path)) ?? '', language, true)
      : getSourceFile(path, language, onError, create);
  host.fileExists = (path) => (inMemory(path) ? files.has(resolve(path)) : ts.sys.fileExists(path));
  host.readFile = (path) => (inMemory(path) ? files.get(resolve(path)) : ts.sys.readFile(path));
  host.directoryExists = (path) => resolve(path) === declarationDir || inMemory(path) || ts.sys.directoryExists(path);
  return ts.createProgram(rootNames, options, host);
}

/** The package's entries ('nestjs-pistachio/client'), each with its declaration file and its report file. */
async function entries(outDir) {
  const manifest = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8'));
  return Object.entries(manifest.exports)
    .filter(([, target]) => target.import?.types)
    .map(([subpath, target]) => {
      const name = join(manifest.name, subpath);
      return {
        name,
        declarations: join(declarationDir, relative(outDir, resolve(repo, target.import.types))),
        report: join(reportDir, `${name.replaceAll('/', '-')}.api.md`),
      };
    });
}

function report(program, entry, ours) {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry.declarations);
  if (!source) {
    const path = relative(repo, entry.declarations);
    fail(`package.json exports ${entry.name} from a file the build does not emit: ${path}`);
  }
  const resolveAlias = (symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
  const exported = checker
    .getExportsOfModule(checker.getSymbolAtLocation(source))
    .map((symbol) => ({ name: symbol.name, symbol: resolveAlias(symbol) }))
    .sort((a, b) => compare(a.name, b.name));
  const exportedSymbols = new Set(exported.map(({ symbol }) => symbol));

  // What the exports' declarations name that users cannot import: their shape is public too (and likely a leak).
  const reachable = new Set();
  const visit = (node) => {
    if (isPrivate(node)) {
      return;
    }
    if (ts.isIdentifier(node)) {
      const symbol = checker.getSymbolAtLocation(node);
      const target = symbol && resolveAlias(symbol);
      const ourTopLevel = target?.declarations?.some((d) => ours(d.getSourceFile()) && isTopLevel(d));
      if (ourTopLevel && !exportedSymbols.has(target) && !reachable.has(target)) {
        reachable.add(target);
        target.declarations.forEach(visit);
      }
    }
    ts.forEachChild(node, visit);
  };
  exported.forEach(({ symbol }) => symbol.declarations?.forEach(visit));

  const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed });
  // `export` as the entry says, not as the declaring file does; an alias and a deprecation go before it.
  const print = (symbol, exportedAs) =>
    (symbol.declarations ?? []).map((node) => {
      const text = printer.printNode(ts.EmitHint.Unspecified, printable(node), node.getSourceFile());
      const [, mark = '', declaration] = /^(\/\*\* @deprecated \*\/\n)?(?:export )?(?:default )?([^]*)$/.exec(text);
      if (exportedAs === undefined) {
        return mark + declaration;
      }
      const alias = exportedAs === symbol.name ? '' : `// exported as ${exportedAs}\n`;
      return `${alias}${mark}export ${declaration}`;
    });
  const exports = exported.flatMap(({ name, symbol }) => print(symbol, name));
  const unexported = [...reachable].sort((a, b) => compare(a.name, b.name)).flatMap((symbol) => print(symbol));
  return [
    `# API report: \`${entry.name}\``,
    '',
    'Generated by `npm run api:report` (scripts/api-report.mjs) from the declarations the build emits: do not edit.',
    'A change of this file is a change of the public API; `npm test` fails until the new report is committed.',
    '',
    `## Exports (${exported.length})`,
    '',
    '```ts',
    exports.join('\n\n'),
    '```',
    '',
    `## Named by the exports, not exported (${reachable.size})`,
    '',
    ...(reachable.size === 0 ? ['None.'] : ['```ts', unexported.join('\n\n'), '```']),
    '',
  ].join('\n');
}

function isTopLevel(declaration) {
  const statement = ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration;
  return ts.isSourceFile(statement.parent);
}

/** Private members: in a declaration file they have no type, and no user can touch them. */
function isPrivate(node) {
  return (
    ts.isClassElement(node) &&
    ((node.name && ts.isPrivateIdentifier(node.name)) ||
      (ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Private) !== 0)
  );
}

/** A declaration as the report shows it: no docs, no private members, a variable without its statement's others. */
function printable(declaration) {
  if (ts.isVariableDeclaration(declaration)) {
    const statement = declaration.parent.parent;
    const alone = ts.factory.createVariableStatement(
      statement.modifiers,
      ts.factory.createVariableDeclarationList([withoutDocs(declaration)], declaration.parent.flags),
    );
    return ts.getJSDocDeprecatedTag(statement) ? deprecated(alone) : alone;
  }
  const node = withoutDocs(declaration);
  if (!ts.isClassDeclaration(node) || !node.members.some(isPrivate)) {
    return node;
  }
  const members = node.members.filter((member) => !isPrivate(member));
  const { modifiers, name, typeParameters, heritageClauses } = node;
  const updated = ts.factory.updateClassDeclaration(node, modifiers, name, typeParameters, heritageClauses, members);
  return ts.getJSDocDeprecatedTag(node) ? deprecated(updated) : updated;
}

/** Docs are reviewed in the source, not here; a deprecation is API: each doc comment goes or becomes `@deprecated`. */
function withoutDocs(node) {
  ts.setEmitFlags(node, ts.EmitFlags.NoComments);
  // A name shares its declaration's doc, a variable its statement's: the outermost node with the doc is marked.
  const tag = ts.getJSDocDeprecatedTag(node);
  if (tag && !ts.isIdentifier(node) && !ts.isVariableDeclaration(node) && !ts.isVariableDeclarationList(node)) {
    deprecated(node);
  }
  // forEachChild stops at a callback's first truthy answer: each child must be visited.
  ts.forEachChild(node, (child) => void withoutDocs(child));
  return node;
}

function deprecated(node) {
  // A declaration printed again (exported under two names) is marked once.
  return ts.getSyntheticLeadingComments(node)?.length
    ? node
    : ts.addSyntheticLeadingComment(node, ts.SyntaxKind.MultiLineCommentTrivia, '* @deprecated ', true);
}

function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The lines only one side has, as `-`/`+`: enough to say what changed (git diff says the rest). */
function changes(before, after) {
  const onlyIn = (lines, other, mark) => {
    const left = new Map();
    other.forEach((line) => left.set(line, (left.get(line) ?? 0) + 1));
    return lines.flatMap((line) => {
      const count = left.get(line) ?? 0;
      left.set(line, count - 1);
      return count > 0 || line.trim() === '' ? [] : [mark + line];
    });
  };
  const [a, b] = [before.split('\n'), after.split('\n')];
  return [...onlyIn(a, b, '-'), ...onlyIn(b, a, '+')];
}

function format(diagnostics) {
  const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => repo, getNewLine: () => '\n' };
  return ts.formatDiagnostics(diagnostics, host);
}

function fail(message) {
  console.error(message);
  process.exit(1);
}

const check = process.argv.includes('--check');
const { files, outDir } = emitDeclarations();
const packageEntries = await entries(outDir);
const program = declarationProgram(files, packageEntries.map((entry) => entry.declarations));
const ours = (sourceFile) => files.has(resolve(sourceFile.fileName));
const stale = [];
await mkdir(reportDir, { recursive: true });
for (const entry of packageEntries) {
  const text = report(program, entry, ours);
  const committed = await readFile(entry.report, 'utf8').catch(() => '');
  const name = relative(repo, entry.report);
  if (text === committed) {
    continue;
  }
  if (check) {
    const shown = changes(committed, text);
    const more = shown.length > 40 ? `\n… ${shown.length - 40} lines more` : '';
    stale.push({ name, what: `${shown.slice(0, 40).join('\n')}${more}` });
  } else {
    await writeFile(entry.report, text);
    console.log(`${name} updated`);
  }
}
// A report whose entry went away is stale too.
const reports = new Set(packageEntries.map((entry) => entry.report));
for (const file of (await readdir(reportDir)).filter((f) => f.endsWith('.api.md')).map((f) => join(reportDir, f))) {
  const name = relative(repo, file);
  if (reports.has(file)) {
    continue;
  }
  if (check) {
    stale.push({ name, what: 'no entry of package.json "exports" has this report any more' });
  } else {
    await rm(file);
    console.log(`${name} deleted: no entry of package.json "exports" has this report any more`);
  }
}
if (stale.length > 0) {
  const names = stale.map(({ name }) => name).join(' ');
  const details = stale.map(({ name, what }) => `${name}:\n${what}`).join('\n\n');
  fail(`the public API changed: run npm run api:report and commit ${names}\n\n${details}`);
}
