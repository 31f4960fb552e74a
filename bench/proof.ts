// What one DPoP proof's signature check costs on the decision path (issue 14, item 1), in process so
// that a loaded machine moves both sides alike: `node bench/proof.ts`. jose's jwtVerify with
// EmbeddedJWK and the imported key cached (the check before issue 14) against the synchronous
// node:crypto check (src/idp/proofSignature.ts), on the same fresh proofs, rounds alternating; CPU time
// per proof (process.cpuUsage), median of the rounds.
import { randomUUID } from 'node:crypto';
import { EmbeddedJWK, SignJWT, exportJWK, generateKeyPair, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { verifyProofJws } from '../src/idp/proofSignature.ts';

const N = Number(process.argv[2] ?? 3000);
const keys = await generateKeyPair('ES256');
const jwk = await exportJWK(keys.publicKey);
const now = Math.floor(Date.now() / 1000);
const proofs: string[] = [];
for (let i = 0; i < N; i += 1) {
  proofs.push(await new SignJWT({ htm: 'POST', htu: 'https://gw.example/pdp/v1/decide', jti: randomUUID(), iat: now, ath: 'x' })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).sign(keys.privateKey));
}
// The cache the check had: imported keys by (alg, JWK).
const imported = new Map<string, Promise<CryptoKey>>();
const cachedEmbedded: JWTVerifyGetKey = (header, token) => {
  const id = `${String(header.alg)}|${JSON.stringify(header.jwk)}`;
  let key = imported.get(id);
  if (!key) imported.set(id, (key = EmbeddedJWK(header, token) as Promise<CryptoKey>));
  return key;
};
const algorithms = ['PS256', 'ES256', 'EdDSA'];

async function cpuPerProof(verify: (proof: string) => unknown): Promise<number> {
  const before = process.cpuUsage();
  // 16 at a time, as the bench's decisions arrive.
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < proofs.length) await verify(proofs[next++] ?? '');
  }));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / proofs.length;
}

const variants: Array<[string, (proof: string) => unknown]> = [
  ['jose jwtVerify + EmbeddedJWK (WebCrypto, key cached)', (p) => jwtVerify(p, cachedEmbedded, { algorithms, typ: 'dpop+jwt' })],
  ['node:crypto, synchronous (src/idp/proofSignature.ts)', (p) => verifyProofJws(p, { algorithms, typ: 'dpop+jwt' })],
];
const samples = variants.map(() => [] as number[]);
for (let round = 0; round < 5; round += 1) for (const [i, [, verify]] of variants.entries()) samples[i]?.push(await cpuPerProof(verify));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const base = median(samples[0] ?? []);
for (const [i, [name]] of variants.entries()) {
  const m = median(samples[i] ?? []);
  process.stdout.write(`${name}: ${m.toFixed(0)} µs CPU per proof (${(base / m).toFixed(2)} x the first)\n`);
}
