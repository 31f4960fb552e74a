// Going live is configuration: SP key files and IdP metadata files. Anything missing or wrong stops
// start-up naming the field; production refuses the simulator. And the attribute mapping refuses what
// it cannot map without guessing.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, productionProblems, ConfigError } from '../../../src/config.ts';
import { configuredSaml, trustedIdps } from '../../../src/federation/saml/setup.ts';
import { parseIdpMetadata, MetadataError } from '../../../src/federation/saml/metadata.ts';
import { ATTR, citizenIdentity, staffIdentity } from '../../../src/federation/saml/attributes.ts';
import { XmlRefused, parseStrict, textOf } from '../../../src/federation/saml/xml.ts';
import { issue, LEAF_VALIDITY_DAYS } from '../../../certs/pki.ts';
import { pemBody } from '../../../src/federation/saml/metadata.ts';

const dir = mkdtempSync(join(tmpdir(), 'saml-config-'));

const metadata = (cert: string | undefined, sso = true) => `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.test/saml">
<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
${cert ? `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` : ''}
<md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${cert ?? ''}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
${sso ? '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/sso"/>' : ''}
</md:IDPSSODescriptor></md:EntityDescriptor>`;

test('production refuses the SAML simulator and IdPs without SP key files', (t) => {
  const config = loadConfig({ env: { NODE_ENV: 'production', GATEWAY__saml__simulator__enabled: 'true', GATEWAY__saml__idps: '[{"id":"inera","upstream":"siths-saml","metadataFile":"/x.xml"}]' } });
  const problems = productionProblems(config, { generatedKeys: false, generatedSecrets: false }).join('\n');
  t.regex(problems, /saml\.simulator\.enabled: the SAML IdP simulator cannot run in production/);
  t.regex(problems, /saml\.signingKeyFile, saml\.signingCertFile: production needs the SP signing key/);
  const sandbox = loadConfig({ env: {} });
  t.false(productionProblems(sandbox, { generatedKeys: true, generatedSecrets: true }).some((p) => p.startsWith('saml')));
});

test('configured IdPs: unreadable files and unknown upstreams stop start-up naming the field', async (t) => {
  const err = t.throws(() => configuredSaml(loadConfig({ env: {}, overrides: { saml: { idps: [{ id: 'inera', upstream: 'siths-saml', metadataFile: join(dir, 'missing.xml') }] } } })), { instanceOf: ConfigError });
  t.regex(err!.message, /saml\.signingKeyFile: SAML needs the SP signing key/);
  t.regex(err!.message, /saml\.idps\.0\.metadataFile: cannot read .*missing\.xml \(ENOENT\)/);

  const sp = await issue({ commonName: 'sp', validityDays: LEAF_VALIDITY_DAYS, extensions: [] });
  writeFileSync(join(dir, 'sp.key'), sp.keyPem);
  writeFileSync(join(dir, 'sp.crt'), sp.certPem);
  writeFileSync(join(dir, 'idp.xml'), metadata(pemBody(sp.certPem)));
  const config = loadConfig({ env: {}, overrides: { saml: { signingKeyFile: join(dir, 'sp.key'), signingCertFile: join(dir, 'sp.crt'), idps: [{ id: 'inera', upstream: 'siths-saml', metadataFile: join(dir, 'idp.xml') }] } } });
  const { keys, sources } = configuredSaml(config);
  t.is(keys.certPem, sp.certPem);
  const [idp] = trustedIdps(config, sources);
  t.is(idp!.metadata.entityId, 'https://idp.example.test/saml');
  t.is(idp!.metadata.signingCertificates.length, 1, 'the encryption key is not a signing key');
  t.is(idp!.audience, 'staff');
  const unknown = t.throws(() => trustedIdps(config, [{ ...sources[0]!, upstream: 'nope' }]), { instanceOf: ConfigError });
  t.regex(unknown!.message, /upstream "nope" is not in loa\.providers/);
});

test('IdP metadata without a signing certificate or an HTTP-Redirect SSO service is refused', async (t) => {
  const cert = pemBody((await issue({ commonName: 'idp', validityDays: LEAF_VALIDITY_DAYS, extensions: [] })).certPem);
  t.is(parseIdpMetadata(metadata(cert)).ssoRedirectUrl, 'https://idp.example.test/sso');
  t.throws(() => parseIdpMetadata(metadata(undefined)), { instanceOf: MetadataError, message: /no signing certificate|not a valid X\.509/ });
  t.throws(() => parseIdpMetadata(metadata(cert, false)), { instanceOf: MetadataError, message: /HTTP-Redirect/ });
  t.throws(() => parseIdpMetadata(metadata('bm90IGEgY2VydA==')), { instanceOf: MetadataError, message: /not a valid X\.509/ });
  t.throws(() => parseIdpMetadata('<!DOCTYPE x><x/>'), { instanceOf: MetadataError, message: /xml_doctype/ });
});

const attrs = (entries: Record<string, string[]>) => new Map(Object.entries(entries));
const sara = {
  [ATTR.employeeHsaId]: ['SE2321000016-A1B2'],
  [ATTR.givenName]: ['Sara'],
  [ATTR.sn]: ['Sjöström'],
  [ATTR.orgAffiliation]: ['SE2321000016-A1B2@2321000016'],
  [ATTR.organizationName]: ['Region Sandbox'],
};

test('staff attributes: the HSA-id is the identity and orgAffiliation must agree with it', (t) => {
  const id = staffIdentity(attrs(sara));
  t.is(id.hsaId, 'SE2321000016-A1B2');
  t.is(id.orgNumber, '2321000016');
  t.is(id.orgName, 'Region Sandbox');
  const reason = (entries: Record<string, string[]>) => (t.throws(() => staffIdentity(attrs(entries)), { any: true, instanceOf: XmlRefused }) as XmlRefused).reason;
  t.is(reason({ ...sara, [ATTR.orgAffiliation]: ['SE2321000016-OTHER@2321000016'] }), 'org_affiliation_mismatch');
  t.is(reason({ ...sara, [ATTR.orgAffiliation]: ['SE2321000016-A1B2@23210000'] }), 'org_affiliation_mismatch');
  t.is(reason({ ...sara, [ATTR.organizationIdentifier]: ['5560000001'] }), 'org_affiliation_mismatch');
  t.is(reason({ ...sara, [ATTR.employeeHsaId]: ['SE2321000016-A1B2', 'SE2321000016-X'] }), 'attribute_multivalued');
  t.is(reason({ ...sara, [ATTR.employeeHsaId]: [] }), 'attribute_missing');
  t.is(reason({ ...sara, [ATTR.sn]: [''] }), 'attribute_missing');
});

test('citizen attributes: personnummer and names are required', (t) => {
  const id = citizenIdentity(attrs({ [ATTR.personalIdentityNumber]: ['198003121236'], [ATTR.givenName]: ['Anna'], [ATTR.sn]: ['Andersson'] }));
  t.is(id.personalNumber, '198003121236');
  t.is((t.throws(() => citizenIdentity(attrs({ [ATTR.givenName]: ['Anna'], [ATTR.sn]: ['Andersson'] })), { any: true, instanceOf: XmlRefused }) as XmlRefused).reason, 'attribute_missing');
});

test('strict XML: comments, processing instructions and mixed content are refused, never read in part', (t) => {
  const reason = (xml: string) => (t.throws(() => parseStrict(xml), { any: true, instanceOf: XmlRefused }) as XmlRefused).reason;
  t.is(reason('<a>SE2321000016-A1B<!---->2</a>'), 'xml_comment');
  t.is(reason('<a><?pi x?></a>'), 'xml_processing_instruction');
  t.is(reason('<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>'), 'xml_doctype');
  t.is(reason('<a><b></a>'), 'xml_malformed');
  t.is(textOf(parseStrict('<?xml version="1.0"?><a> SE2321000016-A1B2 </a>').documentElement), 'SE2321000016-A1B2');
  t.is((t.throws(() => textOf(parseStrict('<a>SE2321000016<b/>-A1B2</a>').documentElement), { any: true, instanceOf: XmlRefused }) as XmlRefused).reason, 'mixed_content');
});
