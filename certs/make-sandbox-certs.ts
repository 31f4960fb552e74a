// Sandbox PKI: the CAs and certificates the e-ID simulators and the gateway need so that the sandbox
// speaks the same TLS as production (mutual TLS with pinned CAs), without any real key material.
// Everything here is made with node-forge; key pairs come from Node's crypto because it generates
// them off the main thread (four RSA 2048 keys take well under a second).
//
// Run it by hand with `node certs/make-sandbox-certs.ts [outDir]`; the sandbox and the tests call
// `ensureSandboxCerts()` on start. Existing files are reused; a bundle is made again only when one of
// its files is missing or a certificate is about to expire.
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAY_MS, type Bundle, type BundlePaths } from './pki.ts';
import { bankidBundle } from './bundles/bankid.ts';
import { frejaBundle } from './bundles/freja.ts';
import { sithsBundle } from './bundles/siths.ts';
import { samlBundle } from './bundles/saml.ts';

/** The passphrase of every sandbox PKCS#12 file: the one BankID publishes for its own test certificate. */
export const SANDBOX_PASSPHRASE = 'qwerty123';

/** Absolute paths of the sandbox files, plus the PKCS#12 passphrase. */
export interface SandboxCerts {
  dir: string;
  manifestPath: string;
  passphrase: string;
  bankid: BundlePaths<typeof bankidBundle>;
  freja: BundlePaths<typeof frejaBundle>;
  siths: BundlePaths<typeof sithsBundle>;
  saml: BundlePaths<typeof samlBundle>;
}

/** manifest.json: every file relative to the manifest, so the directory can be moved or mounted. */
interface Manifest {
  generatedBy: 'sandbox';
  version: 1;
  passphrase: string;
  bundles: Record<string, { createdAt: string; files: Record<string, string> }>;
}

const MANIFEST = 'manifest.json';
// Regenerate a bundle well before a certificate runs out, so a long-lived sandbox never breaks on a Monday.
const RENEW_BEFORE_DAYS = 30;
// Every upstream's bundle; each is generated, recorded and renewed on its own.
const bundles: Bundle[] = [bankidBundle, frejaBundle, sithsBundle, samlBundle];

async function writeAtomic(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, data, { mode });
  await rename(tmp, path);
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
    return parsed.generatedBy === 'sandbox' && parsed.bundles ? parsed : undefined;
  } catch {
    return undefined;
  }
}

async function bundleIsUsable(dir: string, bundle: Bundle, manifest: Manifest | undefined): Promise<boolean> {
  const recorded = manifest?.bundles[bundle.name];
  if (!recorded) return false;
  for (const [logical, file] of Object.entries(bundle.files)) {
    if (recorded.files[logical] !== file || !existsSync(join(dir, file))) return false;
  }
  for (const logical of bundle.certificates) {
    const pem = await readFile(join(dir, bundle.files[logical] as string), 'utf8');
    if (new Date(new X509Certificate(pem).validTo).getTime() - Date.now() < RENEW_BEFORE_DAYS * DAY_MS) return false;
  }
  return true;
}

// A directory lock across processes (the sandbox and parallel test workers may start together):
// mkdir is atomic. A lock untouched for a minute is left over from a crash and is broken; the holder
// touches it every few seconds, so a generation slowed down by a busy machine is never taken for one.
async function withDirLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = join(dir, '.lock');
  for (let attempt = 0; ; attempt += 1) {
    try {
      await mkdir(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 60_000) await rm(lock, { recursive: true, force: true });
      else if (attempt > 1200) throw new Error(`sandbox certificates: ${lock} stays locked; remove it if no other process is generating`);
      else await new Promise((r) => setTimeout(r, 50));
    }
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(lock, now, now).catch(() => undefined);
  }, 5_000);
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    await rm(lock, { recursive: true, force: true });
  }
}

function paths<K extends string>(dir: string, bundle: Bundle<K>): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const logical of Object.keys(bundle.files) as K[]) out[logical] = join(dir, bundle.files[logical]);
  return out;
}

function toSandboxCerts(dir: string, passphrase: string): SandboxCerts {
  return {
    dir,
    manifestPath: join(dir, MANIFEST),
    passphrase,
    bankid: paths(dir, bankidBundle),
    freja: paths(dir, frejaBundle),
    siths: paths(dir, sithsBundle),
    saml: paths(dir, samlBundle),
  };
}

async function ensureUnlocked(dir: string): Promise<SandboxCerts> {
  let manifest = await readManifest(dir);
  const passphrase = manifest?.passphrase ?? SANDBOX_PASSPHRASE;
  const stale: Bundle[] = [];
  for (const bundle of bundles) if (!(await bundleIsUsable(dir, bundle, manifest))) stale.push(bundle);
  if (stale.length) {
    manifest = manifest ?? { generatedBy: 'sandbox', version: 1, passphrase, bundles: {} };
    for (const bundle of stale) {
      const contents = await bundle.generate(passphrase);
      for (const [logical, file] of Object.entries(bundle.files)) {
        const data = contents[logical];
        if (data === undefined) throw new Error(`sandbox certificates: bundle ${bundle.name} made no ${logical}`);
        // Private keys and the PKCS#12 are readable by the owner only, as a real deployment would keep them.
        const secret = /key$|p12$/i.test(logical);
        await writeAtomic(join(dir, file), data, secret ? 0o600 : 0o644);
      }
      manifest.bundles[bundle.name] = { createdAt: new Date().toISOString(), files: { ...bundle.files } };
    }
    await writeAtomic(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, 0o644);
  }
  return toSandboxCerts(dir, passphrase);
}

const inProcess = new Map<string, Promise<SandboxCerts>>();

/** Makes (or reuses) the sandbox CAs and certificates in `outDir` and returns their paths. */
export function ensureSandboxCerts(outDir = '.sandbox/certs'): Promise<SandboxCerts> {
  const dir = resolve(outDir);
  let pending = inProcess.get(dir);
  if (!pending) {
    pending = (async () => {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      return withDirLock(dir, () => ensureUnlocked(dir));
    })();
    inProcess.set(dir, pending);
    // Only concurrent callers share a run; a later call looks at the disk again.
    void pending.then(() => inProcess.delete(dir), () => inProcess.delete(dir));
  }
  return pending;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  ensureSandboxCerts(process.argv[2]).then(
    (certs) => {
      process.stdout.write(`sandbox certificates ready in ${certs.dir} (${Math.round(performance.now() - started)} ms)\n`);
      process.stdout.write(`manifest: ${certs.manifestPath}\n`);
    },
    (err: unknown) => {
      process.stderr.write(`could not make sandbox certificates: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
