// The structure the code keeps (docs/architecture.md): one decision primitive, and no non-null
// assertions in any check of a pipeline built on it. Read with the TypeScript compiler's own parser,
// so comments, strings and `!==` never count.
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const root = new URL('..', import.meta.url).pathname;
const sourceFiles = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
  const path = join(dir, e.name);
  return e.isDirectory() ? sourceFiles(path) : e.name.endsWith('.ts') ? [path] : [];
});
const parsed = sourceFiles(join(root, 'src')).map((path) => ({
  path: relative(root, path),
  file: ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true),
}));

const walk = (node: ts.Node, visit: (n: ts.Node) => void): void => {
  visit(node);
  node.forEachChild((child) => walk(child, visit));
};

// Named "…Check" but not decisions: a readiness probe is a ping, not a check of a request.
const NOT_PIPELINES = new Set(['ReadinessCheck']);

test('no module but src/decision.ts declares its own Check type for a pipeline', (t) => {
  const own: string[] = [];
  for (const { path, file } of parsed) {
    if (path === 'src/decision.ts') continue;
    walk(file, (n) => {
      if ((ts.isTypeAliasDeclaration(n) || ts.isInterfaceDeclaration(n)) && /Check$/.test(n.name.text) && !NOT_PIPELINES.has(n.name.text)) own.push(`${path}: ${n.name.text}`);
    });
  }
  t.deepEqual(own, []);
});

test('the checks of every pipeline use no non-null assertions', (t) => {
  const found: string[] = [];
  let checks = 0;
  for (const { path, file } of parsed) {
    walk(file, (n) => {
      if (!ts.isCallExpression(n) || !ts.isIdentifier(n.expression) || !['check', 'asyncCheck'].includes(n.expression.text)) return;
      checks += 1;
      walk(n, (m) => {
        if (ts.isNonNullExpression(m)) {
          const { line } = file.getLineAndCharacterOfPosition(m.getStart());
          found.push(`${path}:${line + 1}: ${m.getText()}`);
        }
      });
    });
  }
  t.true(checks > 3, `found the pipelines' checks (${checks})`);
  t.deepEqual(found, []);
});

test('no non-null assertion anywhere in src (what a check establishes is typed, and so is the rest)', (t) => {
  const found: string[] = [];
  for (const { path, file } of parsed) {
    walk(file, (n) => {
      if (ts.isNonNullExpression(n)) found.push(`${path}:${file.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${n.getText()}`);
    });
  }
  t.deepEqual(found, []);
});
