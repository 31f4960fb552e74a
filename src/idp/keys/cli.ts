// `npm run gateway -- keys <command>`: the signing keys in the HSM (keys.signer=pkcs11). Runs where
// the token can be reached, with the gateway's configuration (GATEWAY_CONFIG, GATEWAY__keys__pkcs11__*,
// GATEWAY_PKCS11_PIN); talks to the token, not to a running gateway: every instance learns the change
// from the key ring in the token at its next refresh (keys.pkcs11.refreshSeconds).
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Pkcs11Config } from '../../config.ts';
import { EXIT, type CliIo } from '../../whitelist/cli.ts';
import { Pkcs11Token } from './pkcs11.ts';
import { ecThumbprint, ringLabel } from './hsmKeySet.ts';
import { activateNow, initialRing, parseRing, pruneRing, rotateRing, stageOf, type RingRecord } from './keyRing.ts';

export const KEYS_USAGE = `usage: npm run gateway -- keys <command> [--json]

commands:
  init        make the first signing key (active at once) and the audit key, if the token has none
  rotate      make a new key and publish it in /jwks; it signs after keys.pkcs11.publishSeconds
              (--publish-seconds N to change that), the current key is kept retainSeconds longer
              (--retain-seconds N)
  activate    let the published key sign now (once every instance has had time to learn it)
  prune       destroy the keys past their retirement in the token
  status      every key of the ring, its stage and times

exit codes: 0 ok, 2 usage, 6 refused in this state (see the message), 8 the token cannot be used, 1 anything else`;

const REFUSALS: Record<string, string> = {
  no_active_key: 'the key ring has no active key (run keys init)',
  rotation_pending: 'a rotated key is still only published; activate it (keys activate) or wait until it signs',
  nothing_published: 'no key is waiting to be activated (run keys rotate first)',
  too_early: 'the new key was published too recently for every instance to know it',
};

function readRing(token: Pkcs11Token, o: Pkcs11Config): RingRecord | undefined {
  const value = token.readData(ringLabel(o.keyLabel));
  return value ? parseRing(value.toString('utf8')) : undefined;
}

function newKey(token: Pkcs11Token, o: Pkcs11Config): { kid: string; id: string } {
  const id = randomBytes(8).toString('hex');
  const pair = token.generateEcKeyPair(`${o.keyLabel}-${id}`, Buffer.from(id, 'hex'));
  return { kid: ecThumbprint(token.publicJwk(pair.publicKey)), id };
}

function statusLines(ring: RingRecord, now: number): Array<Record<string, string>> {
  return ring.keys.map((k) => ({
    kid: k.kid, stage: stageOf(ring, k, now), created: k.createdAt, activates: k.activateAt, ...(k.retireAt ? { retires: k.retireAt } : {}),
  }));
}

export async function runKeysCli(argv: string[], io: CliIo, now: () => number = Date.now): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, 'publish-seconds': { type: 'string' }, 'retain-seconds': { type: 'string' } },
    });
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${KEYS_USAGE}`);
    return EXIT.usage;
  }
  const [command, ...rest] = parsed.positionals;
  if (!command || rest.length || !['init', 'rotate', 'activate', 'prune', 'status'].includes(command)) {
    io.err(KEYS_USAGE);
    return EXIT.usage;
  }
  const seconds = (name: 'publish-seconds' | 'retain-seconds', fallback: number): number | undefined => {
    const v = parsed.values[name];
    if (v === undefined) return fallback;
    return /^\d{1,9}$/.test(v) ? Number(v) : undefined;
  };
  const config = loadConfig({ env: io.env });
  const o = config.keys.pkcs11;
  const publishSeconds = seconds('publish-seconds', o.publishSeconds);
  const retainSeconds = seconds('retain-seconds', o.retainSeconds);
  if (publishSeconds === undefined || retainSeconds === undefined) {
    io.err('--publish-seconds and --retain-seconds take a whole number of seconds');
    return EXIT.usage;
  }
  let token: Pkcs11Token;
  try {
    token = Pkcs11Token.acquire(o);
  } catch (err) {
    io.err((err as Error).message);
    return EXIT.unavailable;
  }
  const print = (text: string, json: unknown) => io.out(parsed.values.json ? JSON.stringify(json) : text);
  try {
    const ring = readRing(token, o);
    const t = now();
    switch (command) {
      case 'init': {
        const audit = token.keyPairByLabel(o.auditKeyLabel);
        if (!audit) token.generateEcKeyPair(o.auditKeyLabel, randomBytes(8));
        if (ring) {
          io.err(`the token already has the key ring "${ringLabel(o.keyLabel)}"${audit ? '' : ' (the audit key was missing and has been made)'}; use keys rotate`);
          return EXIT.conflict;
        }
        const key = newKey(token, o);
        token.writeData(ringLabel(o.keyLabel), Buffer.from(JSON.stringify(initialRing(key, t))));
        print(`made signing key ${key.kid} (active)${audit ? '' : ` and the audit key "${o.auditKeyLabel}"`}`, { kid: key.kid, stage: 'active' });
        return EXIT.ok;
      }
      case 'status': {
        if (!ring) {
          io.err(`no key ring "${ringLabel(o.keyLabel)}" in the token (run keys init)`);
          return EXIT.notFound;
        }
        const lines = statusLines(ring, t);
        print(lines.map((l) => Object.values(l).join('  ')).join('\n'), lines);
        return EXIT.ok;
      }
      case 'rotate': {
        if (!ring) {
          io.err(REFUSALS.no_active_key ?? '');
          return EXIT.conflict;
        }
        const check = rotateRing(ring, { kid: 'check', id: '00' }, { now: t, publishSeconds, retainSeconds });
        if (!check.ok) {
          io.err(REFUSALS[check.reason] ?? check.reason);
          return EXIT.conflict;
        }
        const key = newKey(token, o);
        const rotated = rotateRing(ring, key, { now: t, publishSeconds, retainSeconds });
        if (!rotated.ok) throw new Error(rotated.reason);
        token.writeData(ringLabel(o.keyLabel), Buffer.from(JSON.stringify(rotated.ring)));
        print(`published signing key ${key.kid}; it signs from ${rotated.activateAt}`, { kid: key.kid, stage: 'published', activateAt: rotated.activateAt });
        return EXIT.ok;
      }
      case 'activate': {
        const result = ring ? activateNow(ring, { now: t, refreshSeconds: o.refreshSeconds, retainSeconds }) : { ok: false as const, reason: 'nothing_published' as const };
        if (!result.ok) {
          io.err(`${REFUSALS[result.reason] ?? result.reason}${'notBefore' in result && result.notBefore ? ` (not before ${result.notBefore})` : ''}`);
          return EXIT.conflict;
        }
        token.writeData(ringLabel(o.keyLabel), Buffer.from(JSON.stringify(result.ring)));
        print(`signing key ${result.kid} is active`, { kid: result.kid, stage: 'active' });
        return EXIT.ok;
      }
      case 'prune': {
        if (!ring) {
          io.err(`no key ring "${ringLabel(o.keyLabel)}" in the token`);
          return EXIT.notFound;
        }
        const { ring: kept, retired } = pruneRing(ring, t);
        // The record first: an instance never reads a ring naming a key that is gone.
        token.writeData(ringLabel(o.keyLabel), Buffer.from(JSON.stringify(kept)));
        for (const k of retired) token.destroyKeyPair(Buffer.from(k.id, 'hex'));
        print(retired.length ? `destroyed ${retired.map((k) => k.kid).join(', ')}` : 'no key is past its retirement', { destroyed: retired.map((k) => k.kid) });
        return EXIT.ok;
      }
    }
    return EXIT.usage;
  } catch (err) {
    io.err(`keys ${command}: ${(err as Error).message}`);
    return EXIT.other;
  } finally {
    token.release();
  }
}
