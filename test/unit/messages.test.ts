// The message catalogues: every area Swedish defines is complete in English, a translation has no
// key Swedish lacks, placeholders match, and the right-to-left languages are marked so.
import test from 'ava';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { directionOf, fill } from '../../src/idp/views/messages/catalogue.ts';

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
