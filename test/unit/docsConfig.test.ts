// docs/configuration.md is generated from the zod schema (scripts/config-docs.ts): it must be what the
// generator writes today, and every field must say what it is, or the reference has a hole.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { outputPath, renderConfigDocs, undocumentedFields } from '../../scripts/config-docs.ts';
import { namedEnv } from '../../src/config.ts';

test('every configuration field has a description', (t) => {
  t.deepEqual(undocumentedFields(), [], 'add .describe() to these fields in src/config.ts');
});

test('docs/configuration.md is what the schema generates (run npm run docs:config)', (t) => {
  const onDisk = readFileSync(outputPath, 'utf8');
  t.true(onDisk === renderConfigDocs(), 'docs/configuration.md is out of date: run `npm run docs:config` and commit it');
});

test('the reference lists every field, with its environment variables', (t) => {
  const text = renderConfigDocs();
  for (const path of ['issuer', 'http.port', 'bankid.simulator.enabled', 'pdp.audit.retentionMonths', 'saml.idps[].metadataFile', 'loa.providers.<name>.levels']) {
    t.true(text.includes(`| \`${path}\` |`), path);
  }
  for (const name of Object.keys(namedEnv)) t.true(text.includes(`\`${name}\``), name);
  t.true(text.includes('`GATEWAY__bankid__timeoutMs`'));
  t.regex(text, /\| `http\.port` \| integer 0–65535 \| `3000` \| `PORT`, `GATEWAY__http__port` \|/);
});
