// The README is what a newcomer reads first, so it stays short; the reference lives in docs/. Every
// relative link must lead somewhere (a file, and a heading when it names one), and nothing may point
// outside the repository.
import test from 'ava';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(new URL('../..', import.meta.url).pathname);
const pages = ['README.md', 'BENCHMARKS.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6} (.+)$/.exec(line);
    if (heading?.[1]) anchors.add(heading[1].toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
  }
  return anchors;
}

/** Links outside code: `[text](target)`, skipping fenced blocks and inline code. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '');
}

test('the README stays under 15 KB', (t) => {
  const size = statSync(join(root, 'README.md')).size;
  t.true(size < 15 * 1024, `README.md is ${size} bytes; move reference material to docs/`);
});

test('every relative link in the README and docs/ leads to an existing file and heading', (t) => {
  const broken: string[] = [];
  for (const page of pages) {
    const text = readFileSync(join(root, page), 'utf8');
    for (const link of linksOf(text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue;
      const [path = '', anchor] = link.split('#');
      const target = path ? resolve(dirname(join(root, page)), path) : join(root, page);
      if (relative(root, target).startsWith('..')) { broken.push(`${page}: ${link} points outside the repository`); continue; }
      if (!existsSync(target)) { broken.push(`${page}: ${link} (no such file)`); continue; }
      if (anchor && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(anchor)) broken.push(`${page}: ${link} (no such heading)`);
    }
  }
  t.deepEqual(broken, []);
});

test('the README links every page of docs/', (t) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  for (const page of pages.filter((p) => p.startsWith('docs/'))) t.true(readme.includes(`](${page})`), page);
});

test('nothing in the README or docs/ points at files outside the repository', (t) => {
  for (const page of pages) {
    const text = readFileSync(join(root, page), 'utf8');
    t.false(text.includes('../shared'), `${page} mentions ../shared`);
    t.false(/\b(DOMAIN|ARCHITECTURE)\.md\b/.test(text), `${page} names a document outside the repository`);
  }
});

/** Source, tests, scripts, configuration and docs: what a clone holds besides dependencies and output. */
function repositoryFiles(dir = root): string[] {
  const skip = new Set(['node_modules', '.git', '.sandbox', 'out', 'tmp']);
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (skip.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return repositoryFiles(path);
    return /\.(ts|md|json|sh|sql|conf)$|^run$/.test(entry.name) ? [path] : [];
  });
}

test('no file of the repository refers to documents outside it', (t) => {
  const self = fileURLToPath(import.meta.url);
  const outside = /\.\.\/shared|\b(DOMAIN|ARCHITECTURE)\.md\b/;
  const offenders = repositoryFiles().filter((file) => file !== self && outside.test(readFileSync(file, 'utf8')));
  t.deepEqual(offenders.map((file) => relative(root, file)), [], 'point at docs/ (domain.md, architecture.md) instead');
});
