// A tenant setting: whether its login pages offer "Create an account" (docs/api.md, "Self-service pages"). Off by
// default, so no existing tenant starts accepting sign-ups.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tenants', (t) => {
    t.boolean('self_registration').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tenants', (t) => {
    t.dropColumn('self_registration');
  });
}
