// The CLI end to end: `node scripts/gateway-cli.ts` as a separate process against a started sandbox
// gateway (seeded registry), authenticating as gateway-cli with client_credentials + private_key_jwt +
// DPoP. Every refusal must print the problem and exit with its code.
import test from 'ava';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { Gateway } from '../../src/gateway.ts';
import { startTestGateway } from '../helpers/gateway.ts';
import { EXIT } from '../../src/whitelist/cli.ts';

let gw: Gateway;

test.before(async () => {
  gw = await startTestGateway();
});

test.after.always(async () => {
  await gw?.close();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], extra: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['scripts/gateway-cli.ts', ...args, '--sandbox-dir', gw.config.sandboxDir, ...extra], {
      env: { ...process.env, GATEWAY_URL: gw.url },
      timeout: 30_000,
    }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

test.serial('products list shows the seeded products, as a table and as JSON', async (t) => {
  const table = await cli(['products', 'list']);
  t.is(table.code, EXIT.ok, table.stderr);
  t.regex(table.stdout, /^ID\s+STATUS/m);
  t.regex(table.stdout, /demo-rp\s+active/);
  t.regex(table.stdout, /stegraknaren\s+suspended/);
  const json = await cli(['products', 'list', '--json']);
  t.is(json.code, EXIT.ok);
  const products = JSON.parse(json.stdout) as Array<{ id: string; status: string }>;
  t.deepEqual(products.map((p) => p.id).sort(), ['bokningsappen', 'demo-municipal-app', 'demo-portal', 'demo-region-app', 'demo-rp', 'min-vardplan', 'stegraknaren']);
});

test.serial('approving as the operator is forbidden: the problem is printed and the exit code is 4', async (t) => {
  const run = await cli(['approve', '--controller', 'region-sandbox', '--product', 'bokningsappen', '--purpose', 'self-care', '--dataset', 'bookings:read', '--basis', 'own_review']);
  t.is(run.code, EXIT.forbidden);
  t.regex(run.stderr, /error: 403 forbidden_role/);
  const json = await cli(['approve', '--controller', 'region-sandbox', '--product', 'bokningsappen', '--purpose', 'self-care', '--dataset', 'bookings:read', '--basis', 'own_review'], ['--json']);
  t.is(json.code, EXIT.forbidden);
  t.is((JSON.parse(json.stdout) as { type: string }).type, 'urn:gateway:problem:forbidden_role');
});

test.serial('with a controller role: approve, see the live access, revoke, and read the audit trail', async (t) => {
  const role = await cli(['roles', 'add', '--client', 'gateway-cli', '--role', 'controller_admin', '--scope', 'region-sandbox', '--json']);
  t.is(role.code, EXIT.ok, role.stderr);

  const approved = await cli(['approve', '--controller', 'region-sandbox', '--product', 'bokningsappen', '--purpose', 'self-care', '--dataset', 'bookings:read', '--basis', 'own_review', '--json']);
  t.is(approved.code, EXIT.ok, approved.stderr);
  const approval = JSON.parse(approved.stdout) as { id: string; status: string; controllerId: string; version: number };
  t.is(approval.status, 'active');
  t.is(approval.controllerId, 'region-sandbox');

  const shown = await cli(['products', 'show', 'bokningsappen']);
  t.is(shown.code, EXIT.ok, shown.stderr);
  t.regex(shown.stdout, /live access:\n {2}region-sandbox: bookings:read \(own_review\)/);
  t.regex(shown.stdout, /not counting: certification_expired/, 'why the expired certification gives nothing');

  // Another controller is not this role's to decide for.
  const outside = await cli(['approve', '--controller', 'sandvik-kommun', '--product', 'bokningsappen', '--purpose', 'self-care', '--dataset', 'care-plans:read', '--basis', 'own_review']);
  t.is(outside.code, EXIT.forbidden);
  t.regex(outside.stderr, /403 outside_controller/);

  // A stale version is a conflict, and nothing changes.
  const stale = await cli(['revoke', approval.id, '--if-match', String(approval.version + 5)]);
  t.is(stale.code, EXIT.conflict);
  t.regex(stale.stderr, /412 version_conflict/);

  const revoked = await cli(['revoke', approval.id]);
  t.is(revoked.code, EXIT.ok, revoked.stderr);
  t.regex(revoked.stdout, new RegExp(`revoked: ${approval.id}`));
  const after = await cli(['products', 'show', 'bokningsappen']);
  t.notRegex(after.stdout, /region-sandbox: bookings/);

  const audit = await cli(['audit', 'approval', approval.id, '--json']);
  t.is(audit.code, EXIT.ok, audit.stderr);
  const entries = JSON.parse(audit.stdout) as Array<{ actor: string; action: string }>;
  t.true(entries.length >= 2, 'the grant and the revocation are both in the trail');
  t.true(entries.every((e) => e.actor === 'gateway-cli'));
});

test.serial('unknown ids, bad input and usage errors each have their own exit code', async (t) => {
  const missing = await cli(['products', 'show', 'no-such-product']);
  t.is(missing.code, EXIT.notFound);
  t.regex(missing.stderr, /404 not_found/);
  // By now the CLI administers region-sandbox (test above): a data set outside the catalogue is bad input.
  const invalid = await cli(['approve', '--controller', 'region-sandbox', '--product', 'bokningsappen', '--purpose', 'self-care', '--dataset', 'horoscopes:read', '--basis', 'own_review']);
  t.is(invalid.code, EXIT.invalid, invalid.stderr);
  t.regex(invalid.stderr, /error: 422 unknown_dataset: .*horoscopes/);
  t.regex(invalid.stderr, /\n {2}access\.0\.dataset: /, 'the field errors are listed');
  const badDate = await cli(['certifications', 'add', '--product', 'demo-rp', '--framework', 'nordic-medtest', '--purpose', 'self-care', '--certified-by', 'X', '--issued', 'yesterday', '--expires', '2030-01-01', '--evidence', 'E']);
  t.is(badDate.code, EXIT.usage);
  t.regex(badDate.stderr, /--issued yesterday/);
  const usage = await cli(['approve', '--controller', 'region-sandbox']);
  t.is(usage.code, EXIT.usage);
  t.regex(usage.stderr, /--dataset is required/);
  const unknown = await cli(['frobnicate']);
  t.is(unknown.code, EXIT.usage);
});

test.serial('a key the gateway does not know gets no token: exit code 3', async (t) => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  const file = join(gw.config.sandboxDir, 'stranger-key.json');
  writeFileSync(file, JSON.stringify({ ...(await exportJWK(privateKey)), kid }));
  const run = await cli(['products', 'list'], ['--key', file]);
  t.is(run.code, EXIT.unauthenticated);
  t.regex(run.stderr, /error: 401 invalid_client/);
});

test.serial('certifications: refused without the certifier role; with it, added and withdrawn, each in the audit trail', async (t) => {
  const args = ['certifications', 'add', '--product', 'min-vardplan', '--framework', 'nordic-medtest', '--purpose', 'self-care',
    '--certified-by', 'Nordic MedTest (sandlåda)', '--issued', new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), '--expires', '2030-12-31', '--evidence', 'NMT-TEST-1', '--json'];
  const refused = await cli(args);
  t.is(refused.code, EXIT.forbidden);
  t.is((JSON.parse(refused.stdout) as { type: string }).type, 'urn:gateway:problem:forbidden_role');

  t.is((await cli(['roles', 'add', '--client', 'gateway-cli', '--role', 'certifier', '--scope', 'nordic-medtest'])).code, EXIT.ok);
  const roles = await cli(['roles', 'list']);
  t.regex(roles.stdout, /client:gateway-cli\s+certifier\s+nordic-medtest/);

  const added = await cli(args);
  t.is(added.code, EXIT.ok, added.stderr);
  const cert = JSON.parse(added.stdout) as { id: string; status: string; expiresAt: string };
  t.is(cert.status, 'valid');
  t.is(cert.expiresAt.slice(0, 10), '2030-12-31');
  const other = await cli(['certifications', 'add', '--product', 'min-vardplan', '--framework', 'np', '--purpose', 'self-care', '--certified-by', 'X', '--issued', '2026-01-01', '--expires', '2030-01-01', '--evidence', 'E']);
  t.is(other.code, EXIT.forbidden, 'not under another framework');
  t.regex(other.stderr, /403 outside_framework/);

  const withdrawn = await cli(['certifications', 'withdraw', cert.id, '--json']);
  t.is(withdrawn.code, EXIT.ok, withdrawn.stderr);
  t.is((JSON.parse(withdrawn.stdout) as { status: string }).status, 'withdrawn');
  const audit = await cli(['audit', 'certification', cert.id]);
  t.is(audit.code, EXIT.ok, audit.stderr);
  t.true(audit.stdout.trim().split('\n').length >= 3, 'a header and two entries');
});

test.serial('the CLI has no way around separation of duties: once its client speaks for a supplier, it changes nothing about that supplier\'s products', async (t) => {
  // Still only controller admin of Region Sandbox (and certifier): it approves demo-rp by hand.
  const approved = await cli(['approve', '--controller', 'region-sandbox', '--product', 'demo-rp', '--purpose', 'self-care', '--dataset', 'bookings:read', '--basis', 'own_review', '--json']);
  t.is(approved.code, EXIT.ok, approved.stderr);
  const approval = JSON.parse(approved.stdout) as { id: string };
  t.is((await cli(['roles', 'add', '--client', 'gateway-cli', '--role', 'supplier', '--scope', '5591234567'])).code, EXIT.ok);

  const revoke = await cli(['revoke', approval.id]);
  t.is(revoke.code, EXIT.forbidden);
  t.regex(revoke.stderr, /403 own_product/);
  const certify = await cli(['certifications', 'add', '--product', 'demo-rp', '--framework', 'nordic-medtest', '--purpose', 'self-care', '--certified-by', 'X',
    '--issued', new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), '--expires', '2030-12-31', '--evidence', 'E', '--json']);
  t.is(certify.code, EXIT.forbidden);
  t.is((JSON.parse(certify.stdout) as { type: string }).type, 'urn:gateway:problem:own_product');

  // Another organisation's product: as before.
  const other = await cli(['approve', '--controller', 'region-sandbox', '--product', 'bokningsappen', '--purpose', 'self-care', '--dataset', 'bookings:read', '--basis', 'own_review', '--json']);
  t.is(other.code, EXIT.ok, other.stderr);
  t.is((await cli(['revoke', (JSON.parse(other.stdout) as { id: string }).id])).code, EXIT.ok);
});
