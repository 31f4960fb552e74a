// Disclosure between two care providers on consent (docs/domain.md, rule 6; seeds §6.3.2) needs three
// consents, each a record of its own that the citizen can give and withdraw (src/citizens/consent/records.ts):
//   1. disclosure_secrecy     the disclosing provider may lift secrecy for this data set;
//   2. disclosure_processing  the disclosing provider may process the data for the disclosure, through
//                             the product (app) that carries it;
//   3. disclosure_receipt     the receiving provider may process what it received.
// A disclosure is allowed only while all three are in force; the first missing names its reason.
import { checksFor, Pipeline } from '../../decision.ts';
import type { ConsentInput, ConsentKind, ConsentRecord } from './records.ts';

export const DISCLOSURE_REASONS = ['secrecy_not_lifted', 'processing_not_consented', 'receipt_not_consented'] as const;
export type DisclosureReason = (typeof DISCLOSURE_REASONS)[number];

/** A disclosure of one data set from one provider to another, carried by one product. */
export interface Disclosure {
  citizen: string;
  dataset: string;
  /** The disclosing care provider (controller id). */
  from: string;
  /** The receiving care provider (controller id). */
  to: string;
  /** The product (app) that carries it. */
  productId: string;
}

export interface DisclosureInput {
  disclosure: Disclosure;
  /** The citizen's consents in force. */
  consents: readonly ConsentRecord[];
}

const { check } = checksFor<DisclosureReason>();

const held = (s: DisclosureInput, kind: ConsentKind, controllerId: string): boolean =>
  s.consents.some((c) => c.kind === kind && c.revokedAt === undefined && c.citizen === s.disclosure.citizen && c.productId === s.disclosure.productId
    && c.dataset === s.disclosure.dataset && c.controllerId === controllerId && c.recipientId === s.disclosure.to);

export const secrecyLifted = check('secrecy_lifted', (s: DisclosureInput) =>
  (held(s, 'disclosure_secrecy', s.disclosure.from) ? undefined : 'secrecy_not_lifted'));

export const processingConsented = check('processing_consented', (s: DisclosureInput) =>
  (held(s, 'disclosure_processing', s.disclosure.from) ? undefined : 'processing_not_consented'));

export const receiptConsented = check('receipt_consented', (s: DisclosureInput) =>
  (held(s, 'disclosure_receipt', s.disclosure.to) ? undefined : 'receipt_not_consented'));

export const disclosurePipeline = Pipeline.of<DisclosureInput, DisclosureReason>()
  .then(secrecyLifted)
  .then(processingConsented)
  .then(receiptConsented);

export const DISCLOSURE_CHECKS = disclosurePipeline.names;

/** May this disclosure happen now, on the consents in force? */
export async function disclosureAllowed(disclosure: Disclosure, consents: readonly ConsentRecord[]): Promise<{ ok: true } | { ok: false; check: string; reason: DisclosureReason }> {
  const verdict = await disclosurePipeline.run({ disclosure, consents }, undefined);
  return verdict.ok ? { ok: true } : { ok: false, check: verdict.check, reason: verdict.reason };
}

/**
 * The three records a disclosure needs, as given together (e.g. on one page); each is still withdrawn
 * on its own. The processing and secrecy consents are to the disclosing provider, the receipt one to
 * the receiving provider; all three name both, and the product that carries the data.
 */
export function disclosureConsents(d: Disclosure, shown: { textVersion: string; locale: string; givenHow: ConsentInput['givenHow'] }): ConsentInput[] {
  const base = { citizen: d.citizen, productId: d.productId, dataset: d.dataset, recipientId: d.to, actions: ['read'], claims: [], ...shown };
  return [
    { ...base, kind: 'disclosure_secrecy', controllerId: d.from },
    { ...base, kind: 'disclosure_processing', controllerId: d.from },
    { ...base, kind: 'disclosure_receipt', controllerId: d.to },
  ];
}
