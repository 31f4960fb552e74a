// The message catalogues: every area Swedish defines is complete in English, a translation has no
// key Swedish lacks, placeholders match, and the right-to-left languages are marked so.
import test from 'ava';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PRIVACY_LOCALES, directionOf, fill } from '../../src/idp/views/messages/catalogue.ts';

const root = fileURLToPath(new URL('../../src/idp/views/messages/', import.meta.url));

async function areaTexts(locale: string, file: string): Promise<Record<string, Record<string, string>>> {
  return (await import(`${root}${locale}/${file}`)) as Record<string, Record<string, string>>;
}

const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();

test('every Swedish catalogue has an English twin with the same keys and the same placeholders', async (t) => {
  const files = (await readdir(`${root}sv`)).filter((f) => f.endsWith('.ts'));
  t.true(files.length > 0);
  for (const file of files) {
    const sv = await areaTexts('sv', file);
    const en = await areaTexts('en', file);
    for (const [name, texts] of Object.entries(sv)) {
      const twin = en[name];
      t.truthy(twin, `en/${file} exports ${name}`);
      if (!twin) continue;
      t.deepEqual(Object.keys(twin).sort(), Object.keys(texts).sort(), `en/${file} ${name}: same keys as sv`);
      for (const [key, text] of Object.entries(texts)) {
        t.deepEqual(placeholders(twin[key] ?? ''), placeholders(text), `en/${file} ${name}.${key}: same placeholders`);
        t.true((twin[key] ?? '').trim().length > 0, `en/${file} ${name}.${key} is not empty`);
      }
    }
  }
});

test('fill replaces named placeholders and leaves unknown ones visible', (t) => {
  t.is(fill('Du agerar för {name} ({age} år)', { name: 'Kalle', age: 11 }), 'Du agerar för Kalle (11 år)');
  t.is(fill('Hej {name}', {}), 'Hej {name}');
});

test('Farsi and Arabic are written right to left, the others left to right', (t) => {
  t.is(directionOf('fa'), 'rtl');
  t.is(directionOf('ar'), 'rtl');
  t.is(directionOf('so'), 'ltr');
  t.is(directionOf('sv'), 'ltr');
});

test('the privacy information exists in every language of PRIVACY_LOCALES, with the same keys and placeholders as Swedish', async (t) => {
  const sv = (await areaTexts('sv', 'privacy.ts')).privacy;
  if (!sv) throw new Error('sv/privacy.ts exports no privacy');
  for (const locale of PRIVACY_LOCALES) {
    const texts = (await areaTexts(locale, 'privacy.ts')).privacy;
    t.truthy(texts, `${locale}/privacy.ts exports privacy`);
    if (!texts) continue;
    t.deepEqual(Object.keys(texts).sort(), Object.keys(sv).sort(), `${locale}: same keys as sv`);
    for (const [key, text] of Object.entries(sv)) {
      t.deepEqual(placeholders(texts[key] ?? ''), placeholders(text), `${locale} privacy.${key}: same placeholders`);
      t.true((texts[key] ?? '').trim().length > 0, `${locale} privacy.${key} is not empty`);
      if (locale !== 'sv') t.not(texts[key], text, `${locale} privacy.${key} is translated, not a copy of the Swedish`);
    }
  }
});
