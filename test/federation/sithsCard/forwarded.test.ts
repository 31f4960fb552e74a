// Card sign-in behind a TLS-terminating proxy: the gateway runs no card listener, the card endpoint is
// on the main listener, and the certificate arrives in the configured header as nginx forwards it
// ($ssl_client_escaped_cert, URL-encoded PEM) — honoured because trustForwardedCertificate is on.
import { X509Certificate } from 'node:crypto';
import test from 'ava';
import type { Gateway } from '../../../src/gateway.ts';
import { LOA, SE } from '../../../src/idp/claims.ts';
import { refusalText } from '../../../src/federation/sithsCard/refusals.ts';
import { cardRequest } from '../../helpers/cardBrowser.ts';
import { startTestGateway, type TestClient } from '../../helpers/gateway.ts';
import { cardFiles, finishAtClient, sara, staffClient, startCardSignIn, tokensFor, type CardFiles } from './fixtures.ts';

const HEADER = 'ssl-client-cert';

let gw: Gateway;
let files: CardFiles;
let staff: TestClient;

test.before(async () => {
  staff = await staffClient('siths-proxy-rp', 'https://proxy-staff.example.test/cb');
  gw = await startTestGateway({ clients: [staff.config], overrides: { sithsCard: { trustForwardedCertificate: true, certificateHeader: HEADER } } });
  files = await cardFiles(gw);
});
test.after.always(async () => gw?.close());

/** What the proxy does after its TLS handshake with the browser: the same request, plus the header. */
async function throughProxy(headers: Record<string, string>) {
  const s = await startCardSignIn(gw, staff);
  const answer = await cardRequest(s.cardUrl, { headers });
  return { s, answer };
}

test('no card listener runs; /start sends the browser to the card endpoint behind the proxy', async (t) => {
  t.is(gw.sithsCard!.listenerUrl, undefined);
  t.is(gw.sithsCard!.publicUrl, gw.url);
  const s = await startCardSignIn(gw, staff);
  t.true(s.cardUrl.startsWith(`${gw.url}/siths/card/`));
});

test('a trusted proxy\'s URL-encoded PEM (nginx $ssl_client_escaped_cert) signs sara in', async (t) => {
  const { s, answer } = await throughProxy({ [HEADER]: encodeURIComponent(files.card('sara').cert) });
  t.is(answer.status, 303);
  const claims = (await tokensFor(s, await finishAtClient(s, answer.location!))).claims()!;
  t.is(claims[SE.orgAffiliation], `${sara.hsaId}@${sara.orgAffiliation}`);
  t.is(claims.acr, LOA.loa3);
  t.is(claims[SE.authnProvider], 'https://www.inera.se/siths');
});

test('base64 DER in the header works too', async (t) => {
  const der = new X509Certificate(files.card('tomas').cert).raw.toString('base64');
  const { s, answer } = await throughProxy({ [HEADER]: der });
  const first = await s.ua.request(answer.location!);
  t.is(first.status, 303);
});

for (const [what, headers, reason] of [
  ['no header', {}, 'no_certificate'],
  ['an empty header (nginx without a client certificate)', { [HEADER]: '' }, 'no_certificate'],
  ['a header that is no certificate', { [HEADER]: 'not%20a%20certificate' }, 'malformed'],
  ['the revoked card', { [HEADER]: 'REVOKED' }, 'revoked'],
  ['only the header the proxy does not use', { 'x-ssl-client-cert': 'SARA' }, 'no_certificate'],
] as const) {
  test(`behind the proxy, ${what} is refused with ${reason}`, async (t) => {
    const value = (v: string) => (v === 'REVOKED' ? encodeURIComponent(files.card('revoked').cert) : v === 'SARA' ? encodeURIComponent(files.card('sara').cert) : v);
    const { s, answer } = await throughProxy(Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, value(v)])));
    t.is(answer.status, 303);
    const page = await s.ua.request(answer.location!);
    t.is(page.status, 403);
    t.true(page.text.includes(refusalText(reason, 'sv')), reason);
  });
}
