// Staged signing keys: a key is published (and verifies) from creation but signs only from `signs_from`, once every
// process has loaded it (docs/operations.md, "Key rotation"). Existing keys have signed since they were created.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('signing_keys', (t) => {
    t.timestamp('signs_from', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex('signing_keys').update({ signs_from: knex.ref('created_at') });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('signing_keys', (t) => {
    t.dropColumn('signs_from');
  });
}
