// SITHS card sign-in end to end: openid-client as the staff app, the test as the browser presenting a
// sandbox card over TLS client authentication to the gateway's card listener, and every refusal with
// its reason — on the login page in words, in the log as a code, never as a 500 or with a name.
import test from 'ava';
import * as oidc from 'openid-client';
import type { Gateway } from '../../../src/gateway.ts';
import { LOA, SE } from '../../../src/idp/claims.ts';
import { refusalText } from '../../../src/federation/sithsCard/refusals.ts';
import { cardRequest } from '../../helpers/cardBrowser.ts';
import { makeTestClient, startTestGateway, type TestClient } from '../../helpers/gateway.ts';
import { UserAgent } from '../../helpers/userAgent.ts';
import {
  cardFiles, finishAtClient, logSink, presentCard, sara, staffClient, startCardSignIn, tokensFor, tomas, type CardFiles, type LogSink,
} from './fixtures.ts';

let gw: Gateway;
let files: CardFiles;
let staff: TestClient;
let citizen: TestClient;
let log: LogSink;

test.before(async () => {
  staff = await staffClient('siths-staff-rp', 'https://staff.example.test/cb');
  citizen = await makeTestClient('siths-citizen-rp', 'https://citizen.example.test/cb', { authn_methods: ['bankid'] });
  log = logSink();
  gw = await startTestGateway({ clients: [staff.config, citizen.config], logger: log.logger });
  files = await cardFiles(gw);
});
test.after.always(async () => gw?.close());

test('the sandbox runs its own card listener and sends /start there with a one-time ticket', async (t) => {
  t.truthy(gw.sithsCard?.listenerUrl);
  t.is(gw.sithsCard!.publicUrl, gw.sithsCard!.listenerUrl!);
  const s = await startCardSignIn(gw, staff);
  t.regex(s.loginPage.text, /SITHS-kort/);
  t.regex(s.cardUrl, new RegExp(`^${gw.sithsCard!.listenerUrl!.replace(/[.[\]]/g, '\\$&')}/siths/card/[A-Za-z0-9_-]{43}$`));
  const again = await startCardSignIn(gw, staff);
  t.not(again.cardUrl, s.cardUrl, 'a new ticket every time');
});

test('sara signs in with her card: orgAffiliation <hsa-id>@<org number>, acr loa3, authnProvider SITHS', async (t) => {
  const s = await startCardSignIn(gw, staff);
  const card = await presentCard(files, s.cardUrl, files.card('sara'));
  t.is(card.status, 303);
  t.true(card.location!.startsWith(`${gw.url}/interaction/${s.uid}/siths-card/resume?ticket=`), card.location);
  const callback = await finishAtClient(s, card.location!);
  t.is(callback.searchParams.get('iss'), gw.url);

  const tokens = await tokensFor(s, callback);
  const claims = tokens.claims()!;
  t.is(claims[SE.orgAffiliation], `${sara.hsaId}@${sara.orgAffiliation}`);
  t.is(claims[SE.orgAffiliation], 'SE2321000016-A1B2@2321000016');
  t.is(claims[SE.orgNumber], '2321000016');
  t.is(claims[SE.orgName], 'Region Sandbox');
  t.is(claims.acr, LOA.loa3);
  t.is(claims[SE.authnProvider], 'https://www.inera.se/siths');
  t.is(claims.given_name, 'Sara');
  t.is(claims.family_name, 'Sjöström');
  t.is(claims.name, 'Sara Sjöström');
  t.is(claims[SE.personalIdentityNumber], undefined, 'a card certificate carries no personnummer');
  const userinfo = await oidc.fetchUserInfo(s.rp.config, tokens.access_token, claims.sub, { DPoP: s.rp.dpop });
  t.is(userinfo[SE.orgAffiliation], `${sara.hsaId}@${sara.orgAffiliation}`);
});

test('tomas signs in with his card and gets his own organisation', async (t) => {
  const s = await startCardSignIn(gw, staff);
  const card = await presentCard(files, s.cardUrl, files.card('tomas'));
  const claims = (await tokensFor(s, await finishAtClient(s, card.location!))).claims()!;
  t.is(claims[SE.orgAffiliation], `${tomas.hsaId}@2120001234`);
  t.is(claims[SE.orgName], tomas.orgName);
});

for (const [card, reason] of [['revoked', 'revoked'], ['expired', 'expired'], ['unknown', 'unknown_ca'], [undefined, 'no_certificate']] as const) {
  test(`${card ?? 'no'} card: refused with ${reason}, said on the login page, logged as a code`, async (t) => {
    const s = await startCardSignIn(gw, staff);
    const answer = await presentCard(files, s.cardUrl, card ? files.card(card) : undefined);
    t.is(answer.status, 303, 'the TLS handshake went through and the endpoint answered');
    const page = await s.ua.request(answer.location!);
    t.is(page.status, 403);
    t.true(page.text.includes(refusalText(reason, 'sv')), `the ${reason} message is shown`);
    t.regex(page.text, /SITHS-kort/, 'the person can choose again');
    t.true(log.text().includes(`"reason":"${reason}"`), 'the reason code is logged');
    // The interaction is still open: nothing was signed in.
    const login = await s.ua.request(`/interaction/${s.uid}`);
    t.is(login.status, 200);
    t.regex(login.text, /Logga in/);
  });
}

test('the refusal is shown in English when the sign-in is in English', async (t) => {
  const s = await startCardSignIn(gw, staff, { lang: 'en' });
  const answer = await presentCard(files, s.cardUrl, files.card('revoked'));
  const page = await s.ua.request(answer.location!);
  t.true(page.text.includes(refusalText('revoked', 'en')));
});

test('a start ticket works once: the card endpoint refuses a replay with a page, not a 500', async (t) => {
  const s = await startCardSignIn(gw, staff);
  t.is((await presentCard(files, s.cardUrl, files.card('sara'))).status, 303);
  const replay = await presentCard(files, s.cardUrl, files.card('sara'));
  t.is(replay.status, 400);
  t.true(replay.text.includes(refusalText('ticket_unknown', 'sv')));
  const garbage = await presentCard(files, `${gw.sithsCard!.listenerUrl}/siths/card/not-a-ticket`, files.card('sara'));
  t.is(garbage.status, 400);
});

test('a result ticket works once: a replayed resume is refused and signs nobody in', async (t) => {
  const s = await startCardSignIn(gw, staff);
  const card = await presentCard(files, s.cardUrl, files.card('sara'));
  const first = await s.ua.request(card.location!);
  t.is(first.status, 303, 'the first use finishes the login');
  const replay = await s.ua.request(card.location!);
  t.is(replay.status, 400);
  t.true(replay.text.includes(refusalText('ticket_unknown', 'sv')));
  t.true(log.text().includes('"reason":"ticket_unknown"'));
});

test('a result ticket of another interaction in the same browser is refused, and spent', async (t) => {
  const ua = new UserAgent(gw.url);
  const a = await startCardSignIn(gw, staff, { ua });
  const b = await startCardSignIn(gw, staff, { ua });
  const card = await presentCard(files, a.cardUrl, files.card('sara'));
  const ticket = new URL(card.location!).searchParams.get('ticket')!;
  const wrong = await ua.request(`/interaction/${b.uid}/siths-card/resume?ticket=${ticket}`);
  t.is(wrong.status, 400);
  t.true(wrong.text.includes(refusalText('ticket_mismatch', 'sv')));
  t.true(log.text().includes('"reason":"ticket_mismatch"'));
  const late = await ua.request(card.location!);
  t.is(late.status, 400, 'the mismatch spent the ticket');
});

test('someone who lures another browser to their card link cannot sign in as that person', async (t) => {
  // The attacker starts a sign-in and sends the card link to a member of staff, whose browser presents sara's card.
  const attacker = await startCardSignIn(gw, staff);
  const victim = new UserAgent(gw.url);
  const card = await presentCard(files, attacker.cardUrl, files.card('sara'));
  t.is(card.status, 303);
  const landed = await victim.request(card.location!);
  t.is(landed.status, 400, 'the victim\'s browser does not hold the interaction');
  // The attacker only knows the start ticket, which is not a result ticket.
  const startTicket = attacker.cardUrl.split('/').pop()!;
  const tried = await attacker.ua.request(`/interaction/${attacker.uid}/siths-card/resume?ticket=${startTicket}`);
  t.is(tried.status, 400);
  t.true(tried.text.includes(refusalText('ticket_unknown', 'sv')));
  const still = await attacker.ua.request(`/interaction/${attacker.uid}`);
  t.regex(still.text, /Logga in/, 'the attacker\'s interaction is still at the login page');
});

test('the main listener refuses a forwarded certificate header when the proxy is not trusted', async (t) => {
  const s = await startCardSignIn(gw, staff);
  const ticket = s.cardUrl.split('/').pop()!;
  const forged = await cardRequest(`${gw.url}/siths/card/${ticket}`, { headers: { 'x-ssl-client-cert': encodeURIComponent(files.card('sara').cert) } });
  t.is(forged.status, 303);
  const page = await s.ua.request(forged.location!);
  t.is(page.status, 403);
  t.true(page.text.includes(refusalText('forwarded_certificate_not_trusted', 'sv')));
  t.true(log.text().includes('"reason":"forwarded_certificate_not_trusted"'));
});

test('a citizen-only client never shows the card option and refuses the route', async (t) => {
  const ua = new UserAgent(gw.url);
  const { discoverRp, pushAuthorization } = await import('../../helpers/signIn.ts');
  const rp = await discoverRp(gw, citizen);
  const auth = await pushAuthorization(rp);
  const login = await ua.follow(auth.url.href);
  t.is(login.status, 200);
  t.notRegex(login.text, /SITHS/);
  t.regex(login.text, /BankID/);
  const uid = login.url.split('/').pop()!;
  const start = await ua.request(`/interaction/${uid}/siths-card/start`, { form: {} });
  t.is(start.status, 403);
  t.is(start.location, undefined, 'no ticket, no redirect to the card endpoint');
  const resume = await ua.request(`/interaction/${uid}/siths-card/resume?ticket=${'a'.repeat(43)}`);
  t.is(resume.status, 403);
});

test('no HSA-id, name or certificate ends up in the log', async (t) => {
  for (const name of ['sara', 'tomas', 'revoked'] as const) {
    const s = await startCardSignIn(gw, staff);
    const card = await presentCard(files, s.cardUrl, files.card(name));
    await s.ua.follow(card.location!, {}, (u) => u.startsWith('https://staff.example.test/'));
  }
  const text = log.text();
  t.regex(text, /sign-in completed/);
  t.regex(text, /siths card verified/);
  for (const secret of [sara.hsaId, tomas.hsaId, 'Sjöström', 'Sara', 'Tomas', 'Tell', sara.personalNumber, '-----BEGIN']) {
    t.false(text.includes(secret), `log contains ${secret}`);
  }
});

test('the landing page says where the card listener is and which .p12 files to import', async (t) => {
  const res = await fetch(`${gw.url}/?lang=en`);
  const text = await res.text();
  t.true(text.includes(gw.sithsCard!.listenerUrl!));
  t.true(text.includes(files.certs.siths.saraP12));
  t.true(text.includes(files.certs.siths.revokedP12));
  t.true(text.includes('qwerty123'));
});
