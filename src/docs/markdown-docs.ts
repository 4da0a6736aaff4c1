// The generated parts of docs/configuration.md and docs/troubleshooting.md: the variable table from the config schema
// (config/index.ts, config/variables.ts) and the error catalogue (errors/catalogue.ts), so neither can drift from the
// code. Each sits between BEGIN/END GENERATED markers; the rest of the file is written by hand.
import { envSchema } from '../config/index.ts';
import { VARIABLE_DOCS } from '../config/variables.ts';
import { ERROR_CATALOGUE, ERROR_DOCS_PATH, OAUTH_ERROR_CATALOGUE, type CatalogueEntry } from '../errors/catalogue.ts';

export const GENERATED_DOCS = {
  config: { file: 'docs/configuration.md', script: 'npm run docs:config', render: renderConfigurationTable },
  errors: { file: 'docs/troubleshooting.md', script: 'npm run docs:errors', render: renderErrorCatalogue },
} as const;

export type GeneratedDocName = keyof typeof GENERATED_DOCS;

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Zod's own description of the schema node (a default, a prefault or an optional wraps the rule). */
function defaultOf(schema: unknown): string | undefined {
  const def = (schema as { _zod: { def: { type: string; defaultValue?: unknown } } })._zod.def;
  if ((def.type === 'default' || def.type === 'prefault') && def.defaultValue !== undefined && def.defaultValue !== '') {
    return `\`${String(def.defaultValue)}\``;
  }
  return undefined;
}

/** The rule a value must follow, in the words of the error a bad value gets (e.g. "a whole number from 0 to 65535"). */
function ruleOf(schema: unknown): string {
  const result = (schema as { safeParse(v: unknown): { success: boolean; error?: { issues: Array<{ message: string }> } } }).safeParse(
    '\u0000not a value\u0000',
  );
  if (result.success) return 'any text';
  return (result.error?.issues[0]?.message ?? '').replace(/^must be /, '');
}

export function renderConfigurationTable(): string {
  const rows = Object.entries(envSchema.shape).map(([name, schema]) => {
    const doc = VARIABLE_DOCS[name];
    if (!doc) throw new Error(`config/variables.ts has no entry for ${name}`);
    return `| \`${name}\` | ${cell(doc.default ?? defaultOf(schema) ?? '—')} | ${cell(ruleOf(schema))} | ${cell(doc.meaning)} |`;
  });
  const extra = Object.keys(VARIABLE_DOCS).filter((name) => !(name in envSchema.shape));
  if (extra.length > 0) throw new Error(`config/variables.ts describes variables the schema lacks: ${extra.join(', ')}`);
  return ['| Variable | Default | Accepts | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

function entrySection(code: string, entry: CatalogueEntry): string {
  const list = (items: readonly string[] | undefined) => (items ?? []).map((item) => `- ${item}`).join('\n');
  return [
    `#### ${code}`,
    '',
    `**${entry.title}** — HTTP ${entry.status}, message "${entry.message}". Served at \`${ERROR_DOCS_PATH}#${code}\`.`,
    '',
    entry.description,
    '',
    'Likely causes:',
    '',
    list(entry.causes),
    '',
    'What to do:',
    '',
    list(entry.solutions),
    ...(entry.debugging ? ['', 'Debugging steps:', '', list(entry.debugging)] : []),
  ].join('\n');
}

export function renderErrorCatalogue(): string {
  const codes = Object.entries(ERROR_CATALOGUE as Record<string, CatalogueEntry>);
  const oauth = Object.entries(OAUTH_ERROR_CATALOGUE as Record<string, CatalogueEntry>);
  return [
    '| Code | Status | Message |',
    '| --- | --- | --- |',
    ...[...codes, ...oauth].map(([code, e]) => `| [\`${code}\`](#${code.toLowerCase()}) | ${e.status} | ${cell(e.message)} |`),
    '',
    '### JSON API errors',
    '',
    ...codes.map(([code, entry]) => `${entrySection(code, entry)}\n`),
    '### OAuth errors',
    '',
    'These answer at `/oauth2/token` and the other OAuth endpoints as RFC 6749 §5.2 bodies (`error`, `error_description`), not the envelope.',
    '',
    ...oauth.map(([code, entry]) => `${entrySection(code, entry)}\n`),
  ]
    .join('\n')
    .trimEnd();
}

const begin = (name: GeneratedDocName) =>
  `<!-- BEGIN GENERATED: ${name} — do not edit by hand; run \`${GENERATED_DOCS[name].script}\` (test/docs/generated-docs.test.ts checks it) -->`;
const end = (name: GeneratedDocName) => `<!-- END GENERATED: ${name} -->`;

/** The document with its generated part replaced; the markers must be there already (the BEGIN line is rewritten). */
export function withGeneratedPart(document: string, name: GeneratedDocName): string {
  const from = document.indexOf(`<!-- BEGIN GENERATED: ${name}`);
  const to = document.indexOf(end(name));
  if (from === -1 || to === -1 || to < from) throw new Error(`${GENERATED_DOCS[name].file}: the GENERATED ${name} markers are missing`);
  return `${document.slice(0, from)}${begin(name)}\n\n${GENERATED_DOCS[name].render()}\n\n${document.slice(to)}`;
}

export { begin as generatedBeginMarker, end as generatedEndMarker };
