// Every error page in the catalogue is a real page in Swedish and in English: a title, `lang`, the
// sentence from the catalogue (never a machine's error_description), the code small for support, a
// way back, the language switch and the footer. Then the same through HTTP: oidc-provider's errors
// ("client is invalid", "request_uri is invalid, expired, or was already used"), an unknown path for a
// browser (a page) and for an API client (problem+json), and the help and accessibility pages.
import test from 'ava';
import type { Gateway } from '../../src/gateway.ts';
import { errorPage, oidcErrorCode, renderErrorPage, renderNotFoundPage } from '../../src/idp/views/errors.ts';
import { ERROR_CODES, errorTexts, type ErrorCode } from '../../src/idp/views/messages/errors.ts';
import { LOCALES } from '../../src/idp/views/i18n.ts';
import { startTestGateway, makeTestClient, type TestClient } from '../helpers/gateway.ts';
import { SAML_REASONS } from '../../src/federation/saml/reasons.ts';
import { refusalMessage } from '../../src/federation/saml/messages.ts';
import { FLOW_REASONS, refusalText } from '../../src/federation/sithsCard/refusals.ts';
import { CERTIFICATE_ERROR_REASONS } from '../../src/federation/mtls/certificateError.ts';
import { UserAgent } from '../helpers/userAgent.ts';

const title = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? '';
const lang = (html: string) => /<html lang="([a-z]+)"/.exec(html)?.[1];
const unescape = (s: string) => s.replace(/&#39;/g, '\'').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

/** What every error page must carry, in `locale`. */
function assertErrorPage(t: import('ava').ExecutionContext, html: string, locale: 'sv' | 'en', code: string, label: string) {
  t.is(lang(html), locale, `${label}: lang`);
  t.true(title(html).length > 3, `${label}: a title`);
  t.regex(html, /<h1>[^<]+<\/h1>/, `${label}: a heading`);
  t.regex(html, /<a [^>]*id="back"[^>]*href="[^"]+"/, `${label}: a way back`);
  t.regex(html, /id="lang-switch"[^>]*>/, `${label}: the language switch`);
  t.true(html.includes(`<code id="error-code">${code}</code>`), `${label}: the code, for support`);
  for (const link of ['help', 'account', 'privacy', 'accessibility']) t.regex(html, new RegExp(`id="footer-${link}"`), `${label}: footer ${link}`);
}

test('every code in the error catalogue renders in sv and en with title, lang, its own sentence, the code and a way back', (t) => {
  t.true(ERROR_CODES.length >= 25, 'the catalogue covers oidc-provider\'s and the gateway\'s codes');
  for (const locale of LOCALES) {
    for (const code of ERROR_CODES) {
      const html = errorPage(locale, { code });
      assertErrorPage(t, html, locale, code, `${code} ${locale}`);
      t.true(unescape(html).includes(errorTexts.say(locale, `code.${code}`)), `${code} ${locale}: its sentence`);
    }
  }
  // Swedish and English differ for every code: nothing is left untranslated.
  for (const code of ERROR_CODES) t.not(errorTexts.say('sv', `code.${code}`), errorTexts.say('en', `code.${code}`), code);
});

test('every SAML reason and every SITHS card refusal renders as an error page in sv and en, in words, with the reason small', (t) => {
  const pages: Array<[string, (l: 'sv' | 'en') => string]> = [
    ...SAML_REASONS.map((r): [string, (l: 'sv' | 'en') => string] => [r, (l) => refusalMessage(r, l)]),
    ...[...CERTIFICATE_ERROR_REASONS, ...FLOW_REASONS, 'ticket_unknown', 'ticket_mismatch'].map((r): [string, (l: 'sv' | 'en') => string] => [r, (l) => refusalText(r as Parameters<typeof refusalText>[0], l)]),
  ];
  for (const [code, words] of pages) {
    t.not(words('sv'), words('en'), `${code}: translated`);
    for (const locale of LOCALES) {
      const html = errorPage(locale, { code, message: words(locale) });
      assertErrorPage(t, html, locale, code, `${code} ${locale}`);
      t.true(unescape(html).includes(words(locale)));
    }
  }
});

test('with the app known, the way back names the app and goes to its registered page', (t) => {
  const html = errorPage('en', { code: 'interaction_expired', back: { href: 'https://app.example.test/', name: 'Min vårdplan' } });
  t.regex(html, /<a class="button" id="back" href="https:\/\/app\.example\.test\/">Back to Min vårdplan<\/a>/);
  const sv = errorPage('sv', { code: 'interaction_expired', back: { href: 'https://app.example.test/' } });
  t.regex(sv, />Tillbaka till appen</);
});

test('a machine\'s error_description never reaches the page: it is mapped to a code with words', (t) => {
  const cases: Array<[Record<string, string>, ErrorCode]> = [
    [{ error: 'invalid_client', error_description: 'client is invalid' }, 'invalid_client'],
    [{ error: 'invalid_request_uri', error_description: 'request_uri is invalid, expired, or was already used' }, 'invalid_request_uri'],
    [{ error: 'invalid_request', error_description: 'interaction session not found' }, 'interaction_expired'],
    [{ error: 'invalid_request', error_description: 'authorization request has expired' }, 'interaction_expired'],
    [{ error: 'invalid_redirect_uri', error_description: 'redirect_uri did not match any of the client\'s registered redirect_uris' }, 'invalid_redirect_uri'],
    [{ error: 'access_denied', error_description: 'the end-user cancelled the sign-in' }, 'access_denied'],
    [{ error: 'some_future_code', error_description: '<script>alert(1)</script>' }, 'invalid_request'],
    [{}, 'server_error'],
  ];
  for (const [out, code] of cases) {
    t.is(oidcErrorCode(out), code, JSON.stringify(out));
    for (const locale of LOCALES) {
      const html = renderErrorPage(locale, out);
      if (out.error_description) t.false(unescape(html).includes(out.error_description), `${out.error_description} not shown`);
      t.false(html.includes('<script>alert'), 'no markup from the error');
      t.true(unescape(html).includes(errorTexts.say(locale, `code.${code}`)), `${code}: its sentence`);
    }
  }
  t.regex(renderNotFoundPage('sv'), /<title>Sidan finns inte<\/title>/);
});

let gw: Gateway;
let client: TestClient;

test.before(async () => {
  client = await makeTestClient('error-pages', 'https://errors.example.test/cb', { post_logout_redirect_uris: ['https://errors.example.test/'] });
  gw = await startTestGateway({ clients: [client.config] });
});
test.after.always(async () => gw?.close());

test('an unknown path is a page for a browser (sv and en) and problem+json for an API client; "Not Found" is gone', async (t) => {
  for (const [acceptLanguage, locale] of [['sv-SE', 'sv'], ['en-GB,en;q=0.9', 'en']] as const) {
    const res = await fetch(`${gw.url}/no/such/page`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', 'accept-language': acceptLanguage } });
    t.is(res.status, 404);
    t.regex(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    assertErrorPage(t, html, locale, 'not_found', `404 ${locale}`);
    t.false(html.includes('Not Found'));
  }
  const api = await fetch(`${gw.url}/no/such/page`, { headers: { accept: 'application/json' } });
  t.is(api.status, 404);
  t.regex(api.headers.get('content-type') ?? '', /application\/problem\+json/);
  t.like(await api.json(), { type: 'urn:gateway:problem:not_found' });
  const bare = await fetch(`${gw.url}/no/such/page`);
  t.regex(bare.headers.get('content-type') ?? '', /problem\+json/, 'no Accept: an API client');
});

test('oidc-provider\'s errors reach a browser as pages in words: an unknown client, a used request_uri (with the way back to the app)', async (t) => {
  const unknown = await fetch(`${gw.url}/auth?client_id=nobody&response_type=code&scope=openid&redirect_uri=https://x.example/cb`, { headers: { accept: 'text/html', 'accept-language': 'en' } });
  const unknownHtml = await unknown.text();
  t.is(unknown.status, 400);
  assertErrorPage(t, unknownHtml, 'en', 'invalid_client', 'unknown client');
  t.false(unknownHtml.includes('client is invalid'));

  // A request_uri that was never pushed (or expired, or was used): the page links back to the client's registered page.
  const bogus = await new UserAgent(gw.url).request(`/auth?client_id=${client.config.client_id}&request_uri=urn:ietf:params:oauth:request_uri:bogus`, { headers: { accept: 'text/html', 'accept-language': 'sv' } });
  t.is(bogus.status, 400);
  assertErrorPage(t, bogus.text, 'sv', 'invalid_request_uri', 'unknown request_uri');
  t.false(bogus.text.includes('request_uri is invalid'));
  t.regex(bogus.text, /id="back" href="https:\/\/errors\.example\.test\/">Tillbaka till Test app error-pages</);
  const evil = await new UserAgent(gw.url).request(`/auth?client_id=${client.config.client_id}&response_type=code&scope=openid&redirect_uri=https://evil.example/cb`, { headers: { accept: 'text/html', 'accept-language': 'en' } });
  assertErrorPage(t, evil.text, 'en', 'invalid_redirect_uri', 'unregistered redirect_uri');
  t.false(evil.text.includes('evil.example'), 'the unregistered address is never linked');
});

test('the help page and the accessibility statement are real pages in sv and en, linked from every footer', async (t) => {
  for (const locale of LOCALES) {
    const statement = await (await fetch(`${gw.url}/accessibility?lang=${locale}`)).text();
    t.is(lang(statement), locale);
    t.regex(statement, locale === 'sv' ? /<title>Tillgänglighetsredogörelse<\/title>/ : /<title>Accessibility statement<\/title>/);
    t.regex(statement, /WCAG 2\.1/);
    t.regex(statement, /2018:1937/);
    t.regex(statement, /Digg/);
    t.regex(statement, /href="https:\/\/www\.digg\.se\/tdosanmalan"/);
    t.regex(statement, /id="a11y-shortcomings"><li>/);
    t.regex(statement, /2026/);
    const help = await (await fetch(`${gw.url}/help?lang=${locale}`)).text();
    t.is(lang(help), locale);
    t.regex(help, /id="footer-accessibility" *>|id="footer-accessibility">/);
  }
});
