// Token signing keys: the private JWK encrypted with SECRET_KEY, the public JWK published until retired keys expire.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('signing_keys', (t) => {
    t.text('kid').primary();
    t.text('alg').notNullable();
    t.text('private_jwk_encrypted').notNullable();
    t.jsonb('public_jwk').notNullable();
    t.text('status').notNullable().defaultTo('active');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('retired_at', { useTz: true });
    t.timestamp('unpublish_after', { useTz: true });
  });
  await knex.raw(`ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_status CHECK (status IN ('active', 'retired'))`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('signing_keys');
}
