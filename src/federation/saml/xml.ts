// Strict XML for SAML messages. Everything the gateway reads from a SAML message goes through here:
// no DOCTYPE (no entities, no external anything), no comments or processing instructions (a comment
// inside a signed value survives exclusive canonicalisation, so `SE2321000016-A1B<!---->2` would verify
// yet read as something else to a careless reader), and element text only where an element holds
// nothing but text.
import { DOMParser } from '@xmldom/xmldom';
import { Refusal } from '../../decision.ts';
import type { SamlReason } from './reasons.ts';

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

/**
 * A message the gateway will not read, with the reason code logged and shown. A Refusal of the
 * decision primitive, so a helper deep inside an ACS check refuses the sign-in by throwing it.
 */
export class XmlRefused extends Refusal<SamlReason> {}

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const PROCESSING_INSTRUCTION = 7;
const COMMENT = 8;
const DOCUMENT = 9;
const DOCUMENT_TYPE = 10;

/** Line endings as an XML processor normalises them, so signatures verify the way they were made. */
export const normalizeNewlines = (xml: string): string => xml.replace(/\r\n?/g, '\n');

function refuseNodes(node: Node): void {
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === COMMENT) throw new XmlRefused('xml_comment');
    if (child.nodeType === PROCESSING_INSTRUCTION) {
      // xmldom keeps the XML declaration as a node of its own; it is the only one allowed.
      const declaration = node.nodeType === DOCUMENT && child === node.firstChild && (child as ProcessingInstruction).target === 'xml';
      if (!declaration) throw new XmlRefused('xml_processing_instruction');
      continue;
    }
    if (child.nodeType === DOCUMENT_TYPE) throw new XmlRefused('xml_doctype');
    if (child.nodeType === ELEMENT) refuseNodes(child);
  }
}

/** Parses a whole SAML document, or throws XmlRefused. */
export function parseStrict(xml: string): Document {
  // Refused before parsing too: no parser ever sees an entity declaration.
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new XmlRefused('xml_doctype');
  let doc: Document;
  try {
    doc = new DOMParser({
      onError: (level: string, message: string) => {
        // The parser's message may quote the document; only the level is kept.
        void message;
        throw new XmlRefused('xml_malformed', level);
      },
    }).parseFromString(xml, 'text/xml') as unknown as Document;
  } catch (err) {
    if (err instanceof XmlRefused) throw err;
    throw new XmlRefused('xml_malformed');
  }
  if (!doc?.documentElement) throw new XmlRefused('xml_malformed');
  refuseNodes(doc);
  return doc;
}

/** Child elements of `parent` with this namespace and local name, in document order. */
export function children(parent: Element | Document, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  for (let child = parent.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === ELEMENT && (child as Element).namespaceURI === ns && (child as Element).localName === localName) out.push(child as Element);
  }
  return out;
}

/** The single child element, or undefined when absent; more than one is refused with `reason`. */
export function onlyChild(parent: Element, ns: string, localName: string, reason: SamlReason): Element | undefined {
  const found = children(parent, ns, localName);
  if (found.length > 1) throw new XmlRefused(reason, `more than one ${localName}`);
  return found[0];
}

/** Every element child, whatever its name. */
export function elementChildren(parent: Element): Element[] {
  const out: Element[] = [];
  for (let child = parent.firstChild; child; child = child.nextSibling) if (child.nodeType === ELEMENT) out.push(child as Element);
  return out;
}

/**
 * The text of an element that holds only text. Anything else inside (an element, or a comment that
 * slipped past) is refused rather than skipped, so a value is never read in part.
 */
export function textOf(el: Element): string {
  let text = '';
  for (let child = el.firstChild; child; child = child.nextSibling) {
    if (child.nodeType === TEXT || child.nodeType === CDATA) text += (child as CharacterData).data;
    else throw new XmlRefused('mixed_content', el.localName ?? 'element');
  }
  return text.trim();
}

/** Every element in the document carrying an ID attribute with this value (signature references). */
export function elementsWithId(doc: Document, id: string): Element[] {
  const out: Element[] = [];
  const walk = (node: Node) => {
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (child.nodeType !== ELEMENT) continue;
      const el = child as Element;
      if (el.getAttribute('ID') === id || el.getAttribute('Id') === id || el.getAttribute('id') === id) out.push(el);
      walk(el);
    }
  };
  walk(doc);
  return out;
}

/** Escapes text and attribute values for XML the gateway or the simulator writes. */
export const xmlEscape = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
