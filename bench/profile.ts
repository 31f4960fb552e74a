// The top self-time functions of a V8 CPU profile (`npm run bench -- --cpu-prof=<dir>` writes one per
// server): `node bench/profile.ts <file.cpuprofile> [count]`. Self time is the time a function was on
// top of the stack itself, not in what it called; (idle) is the event loop waiting, (program) native
// work V8 does not attribute (I/O, the parser), (garbage collector) the GC.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, count = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: node bench/profile.ts <file.cpuprofile> [count]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const frame = byId.get(id)?.callFrame;
  if (!frame) return;
  const where = frame.url ? `${relative(process.cwd(), frame.url.replace(/^file:\/\//, ''))}:${frame.lineNumber + 1}` : '';
  const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + dt);
  total += dt;
});
const busy = total - [...self].filter(([k]) => k.startsWith('(idle)')).reduce((n, [, v]) => n + v, 0);
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy\n`);
process.stdout.write('| self ms | % of busy | function |\n|---:|---:|---|\n');
for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
  process.stdout.write(`| ${(us / 1000).toFixed(0)} | ${key.startsWith('(idle)') ? '' : ((100 * us) / busy).toFixed(1)} | ${key.replaceAll('|', '\\|')} |\n`);
}
