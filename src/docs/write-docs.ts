// `npm run docs:config` / `npm run docs:errors`: rewrites the generated part of the docs file, formatted as prettier
// (the lint) wants it. `--check` only reports whether the file is up to date (exit 1 when not).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { GENERATED_DOCS, withGeneratedPart, type GeneratedDocName } from './markdown-docs.ts';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

/** The file as it should be: its hand-written parts kept, the generated part rendered and formatted. */
export async function expectedDocument(name: GeneratedDocName): Promise<{ path: string; current: string; expected: string }> {
  const path = join(ROOT, GENERATED_DOCS[name].file);
  const current = await readFile(path, 'utf8');
  const options = (await prettier.resolveConfig(path)) ?? {};
  const expected = await prettier.format(withGeneratedPart(current, name), { ...options, filepath: path });
  return { path, current, expected };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('--')) as GeneratedDocName[];
  const check = process.argv.includes('--check');
  for (const name of names.length > 0 ? names : (Object.keys(GENERATED_DOCS) as GeneratedDocName[])) {
    if (!(name in GENERATED_DOCS)) throw new Error(`unknown document ${name}; one of ${Object.keys(GENERATED_DOCS).join(', ')}`);
    const { path, current, expected } = await expectedDocument(name);
    if (current === expected) process.stdout.write(`${GENERATED_DOCS[name].file} is up to date\n`);
    else if (check) {
      process.stdout.write(`${GENERATED_DOCS[name].file} is out of date: run ${GENERATED_DOCS[name].script}\n`);
      process.exitCode = 1;
    } else {
      await writeFile(path, expected);
      process.stdout.write(`${GENERATED_DOCS[name].file} written\n`);
    }
  }
}
