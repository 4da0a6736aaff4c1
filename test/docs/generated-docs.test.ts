// docs/configuration.md and docs/troubleshooting.md carry tables generated from the code: they fail here when the
// config schema or the error catalogue changed without `npm run docs:config` / `npm run docs:errors`.
import { envSchema } from '../../src/config/index.ts';
import { VARIABLE_DOCS } from '../../src/config/variables.ts';
import { ERROR_CATALOGUE, OAUTH_ERROR_CATALOGUE } from '../../src/errors/catalogue.ts';
import { renderConfigurationTable, withGeneratedPart } from '../../src/docs/markdown-docs.ts';
import { expectedDocument } from '../../src/docs/write-docs.ts';

it.each(['config', 'errors'] as const)('the generated part of the %s doc is up to date', async (name) => {
  const { current, expected } = await expectedDocument(name);
  expect(current).toBe(expected);
});

it('documents every configuration variable with its default and rule, and no variable the schema lacks', () => {
  expect(Object.keys(VARIABLE_DOCS).sort()).toEqual(Object.keys(envSchema.shape).sort());
  const table = renderConfigurationTable();
  expect(table).toContain('| `PORT` | `3000` | a whole number from 0 to 65535 | HTTP port |');
  expect(table).toContain('| `DATABASE_URL` | — | a URL starting with postgres:// or postgresql:// |');
  // A new variable without a description cannot be generated, so it cannot go undocumented.
  const shape = envSchema.shape as Record<string, unknown>;
  shape.NEW_VARIABLE = shape.PORT;
  try {
    expect(() => renderConfigurationTable()).toThrow('config/variables.ts has no entry for NEW_VARIABLE');
  } finally {
    delete shape.NEW_VARIABLE;
  }
});

it('has an entry for every catalogue code, and refuses a file without its markers', async () => {
  const { current } = await expectedDocument('errors');
  for (const code of [...Object.keys(ERROR_CATALOGUE), ...Object.keys(OAUTH_ERROR_CATALOGUE)])
    expect(current).toContain(`\n#### ${code}\n`);
  expect(() => withGeneratedPart('# no markers\n', 'errors')).toThrow('markers are missing');
});
