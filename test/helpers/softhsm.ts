// A fresh SoftHSM2 token for one test file: its own token folder and config (SOFTHSM2_CONF) in a temp
// dir, initialised with softhsm2-util. The variable is set in this process before any PKCS#11 module
// is loaded (SoftHSM reads it at C_Initialize), and handed to the CLI processes a test starts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export interface TestToken {
  /** keys.pkcs11 for the gateway and the CLI. */
  pkcs11: { module: string; tokenLabel: string; pin: string; refreshSeconds: number };
  /** The environment a CLI process needs to reach the same token with the same settings. */
  env: NodeJS.ProcessEnv;
  dir: string;
}

/** Why SoftHSM2 cannot be used here, or undefined when it can (scripts/ensure-system-deps.sh installs it). */
export function softHsmMissing(): string | undefined {
  if (!existsSync(SOFTHSM_MODULE)) return `SoftHSM2 is not installed (no ${SOFTHSM_MODULE}); apt-get install softhsm2, or run scripts/ensure-system-deps.sh`;
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'softhsm2-util is not on PATH; apt-get install softhsm2';
  }
  return undefined;
}

export function freshToken(label = 'gateway-test', refreshSeconds = 0.5): TestToken {
  const dir = mkdtempSync(join(tmpdir(), 'softhsm-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  const pin = '246810';
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', '13579', '--pin', pin], { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'ignore' });
  return {
    pkcs11: { module: SOFTHSM_MODULE, tokenLabel: label, pin, refreshSeconds },
    env: {
      PATH: process.env.PATH,
      SOFTHSM2_CONF: conf,
      GATEWAY_PKCS11_PIN: pin,
      GATEWAY__keys__signer: 'pkcs11',
      GATEWAY__keys__pkcs11__tokenLabel: label,
      GATEWAY__keys__pkcs11__module: SOFTHSM_MODULE,
      GATEWAY__keys__pkcs11__refreshSeconds: String(refreshSeconds),
    },
    dir,
  };
}
