// The one door to @peculiar/x509 for the card-certificate code. That library resolves its algorithm
// providers through tsyringe, which needs the Reflect metadata API at load time; importing the
// polyfill here, before the library, makes the order of imports elsewhere irrelevant.
import 'reflect-metadata';

export {
  AuthorityKeyIdentifierExtension, BasicConstraintsExtension, CertificatePolicyExtension, ExtendedKeyUsageExtension,
  KeyUsageFlags, KeyUsagesExtension, Name, PemConverter, SubjectKeyIdentifierExtension, X509Certificate, X509Crl,
  type Extension,
} from '@peculiar/x509';
