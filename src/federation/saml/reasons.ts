// Every reason code the ACS can refuse a SAML Response with, in one union: the checks in response.ts
// and the helpers they call (strict XML, signatures, attributes) all refuse with these, so a code that
// is misspelt or not listed here does not compile. They reach the log and the error page as they are.
export const SAML_REASONS = [
  // The message as posted
  'response_malformed',
  'xml_malformed',
  'xml_doctype',
  'xml_comment',
  'xml_processing_instruction',
  'mixed_content',
  'not_a_response',
  'version_unsupported',
  // The IdP's status
  'status_malformed',
  'idp_refused',
  // A passive request (IsPassive) the IdP could not answer without a page: not an error, the
  // method choice follows.
  'no_passive',
  // Where the assertion is, and who sent it
  'encrypted_assertion_unsupported',
  'assertion_count',
  'issuer_mismatch',
  'unknown_issuer',
  // Signatures
  'response_unsigned',
  'assertion_unsigned',
  'signature_malformed',
  'signature_algorithm_refused',
  'signature_reference_invalid',
  'duplicate_id',
  'signature_invalid',
  // What the signed content says
  'destination_mismatch',
  'conditions_missing',
  'audience_mismatch',
  'time_malformed',
  'assertion_not_yet_valid',
  'assertion_expired',
  'subject_malformed',
  'subject_confirmation_missing',
  'recipient_mismatch',
  'in_response_to_mismatch',
  'authn_context_missing',
  // Attributes
  'attribute_malformed',
  'attribute_repeated',
  'attribute_missing',
  'attribute_multivalued',
  'org_affiliation_mismatch',
  // One time, for a request this gateway made
  'assertion_malformed',
  'assertion_replayed',
  'in_response_to_missing',
  'unknown_in_response_to',
  'in_response_to_other_idp',
  // Single Logout: the IdP's LogoutResponse
  'not_a_logout_response',
  'unknown_logout_request',
  'logout_request_other_idp',
] as const;
export type SamlReason = (typeof SAML_REASONS)[number];
