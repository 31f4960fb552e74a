// The CSP nonce goes only on the gateway's own scripts (issue 13, item 6): renderers write it on the
// tags they make, at render time; nothing stamps markup afterwards, so a script that got into a page
// any other way carries no nonce and Chromium refuses to run it, while the page's own script runs.
import test from 'ava';
import Koa from 'koa';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cspNonce, securityHeaders } from '../../src/http/securityHeaders.ts';
import { html, page, raw } from '../../src/idp/views/html.ts';
import { launchChromium } from '../helpers/browser.ts';

const ATTACK = '<script>window.injected = true; document.title = "pwned"</script>';
const OWN = "document.body.dataset.own = 'ran';";

let server: Server;
let base: string;

test.before(async () => {
  const app = new Koa();
  app.use(securityHeaders({ hsts: false }));
  app.use(async (ctx) => {
    const script = { source: OWN, nonce: cspNonce(ctx) };
    ctx.type = 'html';
    switch (ctx.path) {
      // Attacker-controlled text, interpolated as the renderers do: escaped, so never markup.
      case '/escaped':
        ctx.body = page({ locale: 'en', title: 'Escaped', body: html`<p>${ATTACK}</p>`, script });
        break;
      // A renderer that let markup through (the case the nonce must not cover).
      case '/injected':
        ctx.body = page({ locale: 'en', title: 'Injected', body: html`<p>${raw(ATTACK)}</p>`, script });
        break;
      // Markup with a script no renderer made, and no page script of its own.
      case '/foreign':
        ctx.body = `<!doctype html><html lang="en"><head><title>x</title></head><body>${ATTACK}</body></html>`;
        break;
      default:
        ctx.type = 'json';
        ctx.body = { ok: true };
    }
  });
  server = createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.after.always(() => {
  server?.close();
});

async function get(path: string) {
  const res = await fetch(`${base}${path}`);
  const body = await res.text();
  const csp = res.headers.get('content-security-policy') ?? '';
  const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1];
  return { res, body, csp, nonce };
}

const scriptTags = (body: string) => body.match(/<script\b[^>]*>/gi) ?? [];

test('the page\'s own script carries the header\'s nonce; an injected script does not', async (t) => {
  const { body, nonce } = await get('/injected');
  t.truthy(nonce);
  const tags = scriptTags(body);
  t.is(tags.length, 2, 'the injected script and the page\'s own');
  t.deepEqual(tags.filter((tag) => tag.includes(`nonce="${nonce}"`)), [`<script nonce="${nonce}">`], 'exactly one tag has the nonce');
  t.true(body.includes(`<script nonce="${nonce}">${OWN}</script>`), 'the one with the nonce is the page\'s own script');
  t.true(body.includes(ATTACK), 'the injected one is left as it came: no nonce added');
});

test('escaped attacker text is no script at all; markup no renderer made gets no nonce', async (t) => {
  const escaped = await get('/escaped');
  t.is(scriptTags(escaped.body).length, 1);
  t.true(escaped.body.includes('&lt;script&gt;'));
  const foreign = await get('/foreign');
  t.truthy(foreign.nonce, 'an HTML response still has its policy');
  t.deepEqual(scriptTags(foreign.body), ['<script>']);
  t.false(foreign.body.includes('nonce='));
});

test('a fresh nonce per response; JSON has no CSP; the page headers stay', async (t) => {
  const [a, b] = [await get('/injected'), await get('/injected')];
  t.not(a.nonce, b.nonce);
  t.is(a.res.headers.get('x-frame-options'), 'DENY');
  t.is(a.res.headers.get('cache-control'), 'no-store');
  t.regex(a.csp, /default-src 'none'.*frame-ancestors 'none'/);
  const json = await get('/api');
  t.is(json.res.headers.get('content-security-policy'), null);
  t.is(json.res.headers.get('x-content-type-options'), 'nosniff');
});

test('a page script that could close its own element is refused at render time', (t) => {
  t.throws(() => page({ locale: 'en', title: 'x', body: html``, script: { source: 'a = "</SCRIPT><script>alert(1)"', nonce: 'n' } }), { message: /<\/script/ });
});

test('in Chromium the page\'s own script runs and the injected one does not', async (t) => {
  const browser = await launchChromium();
  try {
    const tab = await browser.newPage();
    const blocked: string[] = [];
    tab.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) blocked.push(m.text()); });
    await tab.goto(`${base}/injected`);
    t.is(await tab.evaluate(() => document.body.dataset.own), 'ran');
    t.is(await tab.evaluate(() => (window as unknown as { injected?: boolean }).injected), undefined);
    t.is(await tab.title(), 'Injected');
    t.true(blocked.length >= 1, 'Chromium reports the refused inline script');
  } finally {
    await browser.close();
  }
});
