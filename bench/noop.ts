// The no-op baseline for later PDP figures: a Koa endpoint that answers 200 and does nothing else.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { profileUntilStopped } from './profiler.ts';

const app = new Koa();
app.use((ctx) => {
  ctx.body = { ok: true };
});
const server = createServer(app.callback());
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
await profileUntilStopped();
process.stdout.write(`READY http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
