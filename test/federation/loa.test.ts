// The one LoA table: every upstream's acr comes from it, unknown native levels are refused, and a
// request never needs less than the product's minimum.
import test from 'ava';
import { loadConfig } from '../../src/config.ts';
import { acrFor, loaRank, neededLoa, nativeLevelsReaching, requiredLoa, EIDAS } from '../../src/federation/loa.ts';
import { LOA } from '../../src/idp/claims.ts';
import { AccountStore, IdentityRejected } from '../../src/idp/accounts.ts';
import { MemoryStore } from '../../src/store/memoryStore.ts';

const config = loadConfig({ env: {} });
const up = (id: string) => config.loa.providers[id]!;

test('the default table: BankID loa3, Freja by registration level, SAML by the asserted level, capped', (t) => {
  t.is(acrFor(up('bankid')), LOA.loa3);
  t.is(acrFor(up('freja'), 'PLUS'), LOA.loa3);
  t.is(acrFor(up('freja'), 'EXTENDED'), LOA.loa2);
  t.is(acrFor(up('freja'), 'BASIC'), undefined, 'Freja BASIC is not an e-ID: refused, not guessed');
  t.is(acrFor(up('freja')), undefined, 'an upstream with levels must say which');
  t.is(acrFor(up('siths-saml'), LOA.loa3), LOA.loa3);
  t.is(acrFor(up('siths-saml'), LOA.loa4), undefined, 'the SITHS IdP is trusted up to loa3 only, whatever it asserts');
  t.is(acrFor(up('portal-saml'), LOA.loa4), LOA.loa4);
  t.is(acrFor(up('portal-saml'), EIDAS.high), EIDAS.high);
  t.is(loaRank(EIDAS.high), loaRank(LOA.loa4));
  t.is(up('siths-card').audience, 'staff');
  t.is(up('bankid').audience, 'citizen');
});

test('a request needs the stronger of acr_values and the product minimum; unknown levels need the impossible', (t) => {
  t.is(neededLoa(undefined, undefined), 0);
  t.is(neededLoa(LOA.loa2, LOA.loa3), 3);
  t.is(neededLoa(LOA.loa4, LOA.loa3), 4);
  t.is(requiredLoa(`${LOA.loa3} ${LOA.loa4}`), 3, 'several acr_values: the lowest satisfies');
  t.is(requiredLoa('urn:unknown'), Number.POSITIVE_INFINITY);
  t.deepEqual(nativeLevelsReaching(up('freja'), 2), ['EXTENDED', 'PLUS']);
  t.deepEqual(nativeLevelsReaching(up('freja'), 3), ['PLUS']);
  t.deepEqual(nativeLevelsReaching(up('freja'), 4), []);
});

test('the same citizen is one account whatever e-ID; staff live apart; bad identities are refused', async (t) => {
  const accounts = new AccountStore(new MemoryStore(), 'k'.repeat(32), 60);
  const viaBankId = await accounts.remember({ personalNumber: '198003121236', givenName: 'Anna', surname: 'Andersson' });
  const viaFreja = await accounts.remember({ kind: 'citizen', personalNumber: '198003121236', givenName: 'Anna', surname: 'Andersson' });
  t.is(viaBankId, viaFreja);
  const staff = await accounts.remember({ kind: 'staff', hsaId: 'SE2321000016-A1B2', personalNumber: '198003121236', givenName: 'Anna', surname: 'Andersson' });
  t.not(staff, viaBankId, 'a staff identity is never the citizen account, even for the same person');
  const record = await accounts.find(staff);
  t.is(record?.kind, 'staff');
  t.is(record?.kind === 'staff' ? record.orgNumber : undefined, '2321000016', 'the organisation comes from the HSA-id when not released');
  const coordination = await accounts.find(await accounts.remember({ personalNumber: '198509629013', givenName: 'Ivar', surname: 'Ibrahim' }));
  t.true(coordination?.kind === 'citizen' && coordination.coordinationNumber);
  await t.throwsAsync(accounts.remember({ kind: 'staff', hsaId: 'SE2321000016', givenName: 'X', surname: 'Y' }), { instanceOf: IdentityRejected });
  await t.throwsAsync(accounts.remember({ personalNumber: '198003121237', givenName: 'X', surname: 'Y' }), { instanceOf: IdentityRejected });
  await t.throwsAsync(accounts.remember({ kind: 'staff', hsaId: 'SE2321000016-A1B2', orgNumber: '12', givenName: 'X', surname: 'Y' }), { instanceOf: IdentityRejected });
});
