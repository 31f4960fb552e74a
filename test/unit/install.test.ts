// Install robustness: `npm ci` followed by `npm start` or `npm test` installs nothing again, and no
// command reinstalls node_modules while another command of the project runs from it. Each test works
// on a temporary copy of the install scripts with a made-up lock file, a fake node_modules and a fake
// `npm` that only records that it ran: no network, no real install.
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

const lock = {
  name: 'fixture', version: '1.0.0', lockfileVersion: 3, requires: true,
  packages: {
    '': { name: 'fixture', version: '1.0.0', dependencies: { left: '^1.0.0' } },
    'node_modules/left': { version: '1.0.0', integrity: 'sha512-left', license: 'MIT' },
    // Packages for another platform are in the lock file but npm never installs them.
    'node_modules/other-platform': { version: '2.0.0', optional: true, os: ['aix'] },
  },
};

/** What npm writes into node_modules/.package-lock.json after installing `lockFile`. */
function installedRecord(lockFile: typeof lock): string {
  const packages: Record<string, unknown> = {};
  for (const [path, entry] of Object.entries(lockFile.packages)) {
    if (path === '' || ('optional' in entry && entry.optional)) continue;
    packages[path] = entry;
  }
  return JSON.stringify({ name: lockFile.name, version: lockFile.version, lockfileVersion: 3, requires: true, packages }, null, 2);
}

interface Tree { dir: string; npmLog: string; bin: string }

function projectTree(options: { installed?: boolean } = {}): Tree {
  const dir = mkdtempSync(join(tmpdir(), 'install-'));
  mkdirSync(join(dir, 'scripts'));
  for (const file of ['node-modules.sh', 'ensure-node-modules.sh']) copyFileSync(join(root, 'scripts', file), join(dir, 'scripts', file));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(process.execPath, join(dir, 'node_modules', '.bin', 'node'));
  if (options.installed !== false) writeFileSync(join(dir, 'node_modules', '.package-lock.json'), installedRecord(lock));
  // The fake npm records its arguments and, like npm ci, leaves the record of what it installed.
  const bin = join(dir, 'fake-bin');
  const npmLog = join(dir, 'npm.log');
  mkdirSync(bin);
  writeFileSync(join(bin, 'npm'), `#!/usr/bin/env bash\necho "$*" >> ${JSON.stringify(npmLog)}\n`
    + `node -e 'const l=require("./package-lock.json"); const p={...l.packages}; delete p[""]; require("fs").writeFileSync("node_modules/.package-lock.json", JSON.stringify({packages:p}))'\n`);
  chmodSync(join(bin, 'npm'), 0o755);
  return { dir, npmLog, bin };
}

function env(tree: Tree, extra: Record<string, string> = {}) {
  return { ...process.env, PATH: `${tree.bin}:${join(tree.dir, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`, ...extra };
}

function ensure(tree: Tree, extra: Record<string, string> = {}) {
  const result = spawnSync('bash', [join(tree.dir, 'scripts', 'ensure-node-modules.sh')], { env: env(tree, extra), encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stderr: result.stderr, npmCalls: existsSync(tree.npmLog) ? readFileSync(tree.npmLog, 'utf8').trim().split('\n') : [] };
}

function changeLockFile(tree: Tree): void {
  const changed = structuredClone(lock);
  changed.packages['node_modules/left'] = { version: '1.0.1', integrity: 'sha512-left-1.0.1', license: 'MIT' };
  writeFileSync(join(tree.dir, 'package-lock.json'), JSON.stringify(changed, null, 2));
}

/** A running project command: takes the shared lock as start.sh does, says so, and runs until killed. */
async function runningCommand(tree: Tree) {
  const child = spawn('bash', ['-c', '. scripts/node-modules.sh; use_node_modules; echo running; exec sleep 30'], { cwd: tree.dir, env: env(tree), stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('running')) resolve(); });
    child.on('exit', (code) => reject(new Error(`the command ended (${code}) before it held the lock`)));
  });
  return child;
}

test('after npm ci (npm\'s own record matches the lock file) nothing is installed again', (t) => {
  const tree = projectTree();
  const result = ensure(tree);
  t.is(result.code, 0, result.stderr);
  t.deepEqual(result.npmCalls, []);
});

test('no record of an install, or a lock file that changed since, runs npm ci once', (t) => {
  const fresh = projectTree({ installed: false });
  const first = ensure(fresh);
  t.is(first.code, 0, first.stderr);
  t.is(first.npmCalls.length, 1);
  t.regex(first.npmCalls[0] ?? '', /^ci\b/);

  const stale = projectTree();
  changeLockFile(stale);
  const result = ensure(stale);
  t.is(result.code, 0, result.stderr);
  t.is(result.npmCalls.length, 1, 'a changed package-lock.json is installed');
  t.is(ensure(stale).npmCalls.length, 1, 'and then it is up to date');
});

test('a package npm recorded but the lock file no longer lists is stale too', (t) => {
  const tree = projectTree();
  const record = JSON.parse(readFileSync(join(tree.dir, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  record.packages['node_modules/removed'] = { version: '1.0.0' };
  writeFileSync(join(tree.dir, 'node_modules', '.package-lock.json'), JSON.stringify(record));
  t.is(ensure(tree).npmCalls.length, 1);
});

test('while another command runs from node_modules, a reinstall waits and then refuses', async (t) => {
  const tree = projectTree();
  const command = await runningCommand(tree);
  try {
    changeLockFile(tree);
    const result = ensure(tree, { NODE_MODULES_LOCK_TIMEOUT: '1' });
    t.is(result.code, 1);
    t.regex(result.stderr, /another command of this project is still running/);
    t.deepEqual(result.npmCalls, [], 'npm ci never ran under the running command');
  } finally {
    command.kill('SIGKILL');
  }
});

test('a reinstall that waited runs once the other command has ended', async (t) => {
  const tree = projectTree();
  const command = await runningCommand(tree);
  changeLockFile(tree);
  const started = Date.now();
  setTimeout(() => command.kill('SIGKILL'), 700);
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn('bash', [join(tree.dir, 'scripts', 'ensure-node-modules.sh')], { env: env(tree, { NODE_MODULES_LOCK_TIMEOUT: '20' }), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('exit', (code) => resolve({ code, stderr }));
  });
  t.is(result.code, 0, result.stderr);
  t.true(Date.now() - started >= 600, 'it waited for the running command');
  t.is(readFileSync(tree.npmLog, 'utf8').trim().split('\n').length, 1);
});

test('a node_modules linked from another work tree is never reinstalled through the link', (t) => {
  const owner = projectTree();
  const tree = projectTree();
  spawnSync('rm', ['-rf', join(tree.dir, 'node_modules')]);
  symlinkSync(join(owner.dir, 'node_modules'), join(tree.dir, 'node_modules'));
  t.is(ensure(tree).code, 0, 'up to date through the link: fine');
  changeLockFile(tree);
  const result = ensure(tree);
  t.is(result.code, 1);
  t.regex(result.stderr, /is a link to/);
  t.deepEqual(result.npmCalls, []);
  t.false(existsSync(owner.npmLog));
});
