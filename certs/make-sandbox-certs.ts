// Sandbox PKI: the CAs and certificates the e-ID simulators and the gateway need so that the sandbox
// speaks the same TLS as production (mutual TLS with pinned CAs), without any real key material.
// Everything here is made with node-forge; key pairs come from Node's crypto because it generates
// them off the main thread (four RSA 2048 keys take well under a second).
//
// Run it by hand with `node certs/make-sandbox-certs.ts [outDir]`; the sandbox and the tests call
// `ensureSandboxCerts()` on start. Existing files are reused; a bundle is made again only when one of
// its files is missing or a certificate is about to expire.
import { generateKeyPair as generateKeyPairCb, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import forge from 'node-forge';

/** The passphrase of every sandbox PKCS#12 file: the one BankID publishes for its own test certificate. */
export const SANDBOX_PASSPHRASE = 'qwerty123';

/** Absolute paths of the sandbox files, plus the PKCS#12 passphrase. */
export interface SandboxCerts {
  dir: string;
  manifestPath: string;
  passphrase: string;
  bankid: {
    /** The CA the gateway pins when it calls the BankID simulator ("Sandbox BankID Server Root CA"). */
    serverCaCert: string;
    serverCaKey: string;
    /** The simulator's TLS server certificate (SAN localhost, 127.0.0.1, ::1) and key. */
    serverCert: string;
    serverKey: string;
    /** The CA the simulator trusts for client certificates ("Sandbox BankID RP Root CA"). */
    rpCaCert: string;
    rpCaKey: string;
    /** The gateway's relying-party certificate: PKCS#12 (key + chain), and the certificate alone. */
    rpP12: string;
    rpCert: string;
  };
  // Later bundles add their own keys here, e.g. `siths` (card CA, a revoked card, the CRL) and `saml`.
}

/** manifest.json: every file relative to the manifest, so the directory can be moved or mounted. */
interface Manifest {
  generatedBy: 'sandbox';
  version: 1;
  passphrase: string;
  bundles: Record<string, { createdAt: string; files: Record<string, string> }>;
}

const MANIFEST = 'manifest.json';
const CA_VALIDITY_DAYS = 3650;
const LEAF_VALIDITY_DAYS = 825;
// Regenerate a bundle well before a certificate runs out, so a long-lived sandbox never breaks on a Monday.
const RENEW_BEFORE_DAYS = 30;
const DAY_MS = 86_400_000;

const generateKeyPair = promisify(generateKeyPairCb);

interface Issued {
  certPem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

async function rsaKeyPair(): Promise<{ privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string }> {
  const { privateKey } = await generateKeyPair('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const key = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), keyPem: privateKey };
}

// Positive, 16 random bytes: unique without bookkeeping (RFC 5280 allows up to 20 octets).
const serialNumber = (): string => `0${randomBytes(16).toString('hex')}`;

interface CertSpec {
  commonName: string;
  validityDays: number;
  issuer?: Issued;
  extensions: object[];
}

async function issue(spec: CertSpec): Promise<Issued> {
  const pair = await rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = pair.publicKey;
  cert.serialNumber = serialNumber();
  const now = Date.now();
  // Backdated an hour so a peer whose clock runs slightly behind still accepts a fresh certificate.
  cert.validity.notBefore = new Date(now - 3_600_000);
  cert.validity.notAfter = new Date(now + spec.validityDays * DAY_MS);
  const subject = [
    { shortName: 'C', value: 'SE' },
    { shortName: 'O', value: 'Sandbox - not for production' },
    { shortName: 'CN', value: spec.commonName },
  ];
  cert.setSubject(subject);
  cert.setIssuer(spec.issuer ? spec.issuer.cert.subject.attributes : subject);
  const authorityKeyId = spec.issuer
    ? [{ name: 'authorityKeyIdentifier', keyIdentifier: spec.issuer.cert.generateSubjectKeyIdentifier().getBytes() }]
    : [];
  cert.setExtensions([...spec.extensions, { name: 'subjectKeyIdentifier' }, ...authorityKeyId]);
  cert.sign(spec.issuer ? spec.issuer.key : pair.privateKey, forge.md.sha256.create());
  return { cert, key: pair.privateKey, certPem: forge.pki.certificateToPem(cert), keyPem: pair.keyPem };
}

const caExtensions = (): object[] => [
  { name: 'basicConstraints', cA: true, critical: true },
  { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
];

const leafExtensions = (usage: 'serverAuth' | 'clientAuth', altNames: object[] = []): object[] => [
  { name: 'basicConstraints', cA: false, critical: true },
  { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
  { name: 'extKeyUsage', [usage]: true },
  ...(altNames.length ? [{ name: 'subjectAltName', altNames }] : []),
];

/** One unit of generation: its files are made together, so a key never ends up beside another key's certificate. */
interface Bundle {
  name: string;
  /** Logical name -> file name inside the sandbox directory. */
  files: Record<string, string>;
  /** Logical names of PEM certificates to check for expiry on reuse. */
  certificates: string[];
  generate(passphrase: string): Promise<Record<string, string | Uint8Array>>;
}

const bankidBundle: Bundle = {
  name: 'bankid',
  files: {
    serverCaCert: 'bankid-server-ca.crt',
    serverCaKey: 'bankid-server-ca.key',
    serverCert: 'bankid-server.crt',
    serverKey: 'bankid-server.key',
    rpCaCert: 'bankid-rp-ca.crt',
    rpCaKey: 'bankid-rp-ca.key',
    rpP12: 'bankid-rp.p12',
    rpCert: 'bankid-rp.crt',
  },
  certificates: ['serverCaCert', 'serverCert', 'rpCaCert', 'rpCert'],
  async generate(passphrase) {
    // Two unrelated CAs, as with BankID: the server CA is what relying parties pin, the RP CA is what
    // BankID trusts for client certificates. Keeping them apart lets tests prove each side checks the right one.
    const [serverCa, rpCa] = await Promise.all([
      issue({ commonName: 'Sandbox BankID Server Root CA', validityDays: CA_VALIDITY_DAYS, extensions: caExtensions() }),
      issue({ commonName: 'Sandbox BankID RP Root CA', validityDays: CA_VALIDITY_DAYS, extensions: caExtensions() }),
    ]);
    const [server, rp] = await Promise.all([
      issue({
        commonName: 'localhost',
        validityDays: LEAF_VALIDITY_DAYS,
        issuer: serverCa,
        extensions: leafExtensions('serverAuth', [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ]),
      }),
      issue({ commonName: 'Sandbox gateway relying party', validityDays: LEAF_VALIDITY_DAYS, issuer: rpCa, extensions: leafExtensions('clientAuth') }),
    ]);
    // AES-256 rather than forge's 3DES default: OpenSSL 3 reads it without the legacy provider.
    const p12 = forge.pkcs12.toPkcs12Asn1(rp.key, [rp.cert, rpCa.cert], passphrase, { algorithm: 'aes256', friendlyName: 'sandbox-rp' });
    return {
      serverCaCert: serverCa.certPem,
      serverCaKey: serverCa.keyPem,
      serverCert: server.certPem,
      serverKey: server.keyPem,
      rpCaCert: rpCa.certPem,
      rpCaKey: rpCa.keyPem,
      rpP12: Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary'),
      rpCert: rp.certPem,
    };
  },
};

// Later features add their bundles here: the SITHS card CA with a card certificate, a revoked card
// certificate and its CRL; the SAML IdP signing key and certificate. Each is generated on its own.
const bundles: Bundle[] = [bankidBundle];

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
    const pem = await readFile(join(dir, bundle.files[logical]!), 'utf8');
    if (new Date(new X509Certificate(pem).validTo).getTime() - Date.now() < RENEW_BEFORE_DAYS * DAY_MS) return false;
  }
  return true;
}

// A directory lock across processes (the sandbox and parallel test workers may start together):
// mkdir is atomic. A lock older than a minute is left over from a crash and is broken.
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
  try {
    return await fn();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

function toSandboxCerts(dir: string, passphrase: string): SandboxCerts {
  const at = (file: string): string => join(dir, file);
  const f = bankidBundle.files;
  return {
    dir,
    manifestPath: at(MANIFEST),
    passphrase,
    bankid: {
      serverCaCert: at(f.serverCaCert!),
      serverCaKey: at(f.serverCaKey!),
      serverCert: at(f.serverCert!),
      serverKey: at(f.serverKey!),
      rpCaCert: at(f.rpCaCert!),
      rpCaKey: at(f.rpCaKey!),
      rpP12: at(f.rpP12!),
      rpCert: at(f.rpCert!),
    },
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
