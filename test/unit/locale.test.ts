// Which language a page speaks: the person's explicit choice (?lang=, the lang cookie), then the
// client's ui_locales, then Accept-Language by its q-values; Swedish when nothing says otherwise.
import test from 'ava';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { chosenLocale, localeOf } from '../../src/idp/views/i18n.ts';

let base: string;
let close: () => void;

test.before(async () => {
  const app = new Koa();
  app.use((ctx) => {
    const ui = typeof ctx.query.ui_locales === 'string' ? ctx.query.ui_locales : undefined;
    ctx.body = localeOf(ctx, ui);
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
test.after.always(() => close?.());

const localeFor = async (path: string, headers: Record<string, string> = {}): Promise<string> =>
  (await fetch(`${base}${path}`, { headers })).text();

const byAcceptLanguage: Array<[string, string]> = [
  ['en;q=0.9, sv;q=0.8', 'en'],
  ['sv;q=0.1, en', 'en'],
  ['sv-SE,sv;q=0.9,en;q=0.5', 'sv'],
  ['de, en-GB;q=0.7', 'en'],
  ['de, fr', 'sv'],
  ['en;q=0, sv;q=0.2', 'sv'],
];
for (const [header, expected] of byAcceptLanguage) {
  test(`Accept-Language "${header}" gives ${expected}`, async (t) => {
    t.is(await localeFor('/', { 'accept-language': header }), expected);
  });
}

test('no Accept-Language at all gives Swedish', async (t) => {
  t.is(await localeFor('/'), 'sv');
});

test('?lang= is the page\'s explicit choice and beats the browser', async (t) => {
  t.is(await localeFor('/?lang=sv', { 'accept-language': 'en' }), 'sv');
  t.is(await localeFor('/?lang=en', { 'accept-language': 'sv' }), 'en');
  t.is(await localeFor('/?lang=klingon', { 'accept-language': 'en' }), 'en', 'a language we do not speak is no choice');
});

test('the lang cookie a page set beats ui_locales and the browser, and ?lang= beats the cookie', async (t) => {
  t.is(await localeFor('/?ui_locales=sv', { cookie: 'lang=en', 'accept-language': 'sv' }), 'en');
  t.is(await localeFor('/?lang=sv', { cookie: 'lang=en' }), 'sv');
});

test('ui_locales (most preferred first) beats Accept-Language', async (t) => {
  t.is(await localeFor('/?ui_locales=fi%20en%20sv', { 'accept-language': 'sv' }), 'en');
  t.is(await localeFor('/?ui_locales=fi', { 'accept-language': 'en' }), 'en', 'none we speak: the browser decides');
});

test('chosenLocale reads language tags, not just the two codes', (t) => {
  t.is(chosenLocale('en-GB'), 'en');
  t.is(chosenLocale('SV'), 'sv');
  t.is(chosenLocale('de'), undefined);
  t.is(chosenLocale(['en']), undefined);
  t.is(chosenLocale(undefined), undefined);
});
