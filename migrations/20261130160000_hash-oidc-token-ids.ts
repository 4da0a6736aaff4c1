// Bearer secrets at rest (docs/security.md, "Tokens at rest"): rows of oidc_payloads whose id is a live secret (refresh
// tokens, sessions, initial and registration access tokens) are rewritten to the keyed hash of that id, and the `jti`
// copy inside the payload is dropped. The hash needs SECRET_KEY, which the runner passes in.
import type { Knex } from 'knex';
import { hashTokenId, SECRET_ID_MODELS } from '../src/oidc/adapters/token-ids.ts';
import type { MigrationOptions } from '../src/db/migrate.ts';

const BATCH = 500;

export async function up(knex: Knex, options: MigrationOptions = {}): Promise<void> {
  const models = [...SECRET_ID_MODELS];
  const pending = await knex('oidc_payloads').whereIn('model_name', models).count<{ count: string }[]>({ count: '*' });
  if (Number(pending[0]?.count ?? 0) === 0) return;
  const { secretKey } = options;
  if (!secretKey)
    throw new Error('hashing stored oidc token ids needs SECRET_KEY: run this migration through `gatehouse migrate` or the server');
  // Keyset pagination over the old ids; a rewritten row's new id sorts anywhere, so rows already done are skipped by
  // remembering what was rewritten, not by position.
  const done = new Set<string>();
  let after = '';
  for (;;) {
    const rows = await knex('oidc_payloads')
      .whereIn('model_name', models)
      .andWhere('id', '>', after)
      .orderBy('id')
      .limit(BATCH)
      .select<Array<{ model_name: string; id: string }>>('model_name', 'id');
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.id;
    for (const row of rows) {
      if (done.has(`${row.model_name}:${row.id}`)) continue;
      const hashed = hashTokenId(secretKey, row.id);
      done.add(`${row.model_name}:${hashed}`);
      await knex('oidc_payloads')
        .where({ model_name: row.model_name, id: row.id })
        .update({ id: hashed, payload: knex.raw("payload - 'jti'") });
    }
  }
}

export async function down(): Promise<void> {
  // A keyed hash cannot be turned back into the token: rolling back leaves the rows hashed (they simply stop matching).
}
