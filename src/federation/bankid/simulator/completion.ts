// completionData shaped like BankID's: the same fields and encodings (base64 XML signature, base64
// DER OCSP response), so the gateway's parsing is exercised for real. Both blobs say "SANDBOX" inside
// and verify against nothing, and neither carries the person's number or name: those travel only in
// `user`, where the gateway expects them.
import { createHash, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import type { Order, SandboxPersona } from './orders.ts';

export interface Completion {
  user: { personalNumber: string; name: string; givenName: string; surname: string };
  /** `uhi`: BankID's unique hardware identifier of the person's device. */
  device: { ipAddress: string; uhi: string };
  bankIdIssueDate: string;
  stepUp?: { mrtd: boolean };
  signature: string;
  ocspResponse: string;
  risk?: 'low' | 'moderate' | 'high';
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function signatureXml(nowMs: number): string {
  const signedData =
    `<bankIdSignedData xmlns="http://www.bankid.com/signature/v1.0.0/types" Id="bidSignedData">` +
    `<srvInfo><name>${b64('Sandbox BankID simulator')}</name><nonce>${randomBytes(20).toString('base64')}</nonce>` +
    `<displayName>${b64('Sandbox relying party')}</displayName></srvInfo>` +
    `<clientInfo><funcId>Identification</funcId><version>${b64('sandbox')}</version>` +
    `<env><ai><type>U0FOREJPWA==</type><deviceInfo>${b64('sandbox')}</deviceInfo></ai></env></clientInfo>` +
    `</bankIdSignedData>`;
  return (
    `<?xml version="1.0" encoding="UTF-8" standalone="no"?>` +
    `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">` +
    `<!-- SANDBOX: made by the BankID simulator at ${new Date(nowMs).toISOString()}; not a BankID signature, nothing here verifies -->` +
    `<SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
    `<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>` +
    `<Reference Type="http://www.bankid.com/signature/v1.0.0/types" URI="#bidSignedData">` +
    `<Transforms><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>` +
    `<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>${digest(signedData).toString('base64')}</DigestValue>` +
    `</Reference></SignedInfo>` +
    `<SignatureValue>${randomBytes(256).toString('base64')}</SignatureValue>` +
    `<Object>${signedData}</Object></Signature>`
  );
}

/**
 * An OCSPResponse (RFC 6960) with status successful and a basic response whose bytes are a sandbox
 * marker: right outer structure for anything that peeks at it, no claim to be a real OCSP answer.
 */
function ocspResponseDer(): string {
  const { asn1 } = forge;
  const inner = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTF8, false, 'SANDBOX OCSP response - not from BankID'),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, forge.util.hexToBytes(randomBytes(20).toString('hex'))),
  ]);
  const response = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.ENUMERATED, false, String.fromCharCode(0)),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer('1.3.6.1.5.5.7.48.1.1').getBytes()),
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, asn1.toDer(inner).getBytes()),
      ]),
    ]),
  ]);
  return Buffer.from(asn1.toDer(response).getBytes(), 'binary').toString('base64');
}

/** Stable per person, as a real device identifier would be across orders. */
const sandboxUhi = (persona: SandboxPersona): string =>
  createHash('sha1').update(`sandbox-device:${persona.id ?? persona.personalNumber}`).digest('base64');

/** A plausible issue date, stable per person: one to three years before now. */
function issueDate(persona: SandboxPersona, nowMs: number): string {
  const spread = createHash('sha256').update(`issue:${persona.personalNumber}`).digest().readUInt16BE(0) % 730;
  return new Date(nowMs - (365 + spread) * 86_400_000).toISOString().slice(0, 10);
}

export function sandboxCompletion(order: Order, persona: SandboxPersona, appIp: string, nowMs: number): Completion {
  const completion: Completion = {
    user: {
      personalNumber: persona.personalNumber,
      name: `${persona.givenName} ${persona.surname}`,
      givenName: persona.givenName,
      surname: persona.surname,
    },
    device: { ipAddress: appIp, uhi: sandboxUhi(persona) },
    bankIdIssueDate: issueDate(persona, nowMs),
    signature: b64(signatureXml(nowMs)),
    ocspResponse: ocspResponseDer(),
  };
  if (order.requirement.mrtd) completion.stepUp = { mrtd: true };
  if (order.returnRisk) completion.risk = 'low';
  return completion;
}
