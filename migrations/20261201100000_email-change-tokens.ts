// Changing one's email from the account center: the new address is confirmed by a mailed single-use token, which
// carries the address it confirms until it is spent (docs/api.md, "Account center").
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('user_tokens', (t) => {
    t.text('new_email');
  });
  await knex.raw('ALTER TABLE user_tokens DROP CONSTRAINT user_tokens_purpose');
  await knex.raw(
    `ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose CHECK (purpose IN ('verify_email', 'password_reset', 'change_email'))`,
  );
  await knex.raw(
    `ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_new_email CHECK ((purpose = 'change_email') = (new_email IS NOT NULL))`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex('user_tokens').where({ purpose: 'change_email' }).delete();
  await knex.raw('ALTER TABLE user_tokens DROP CONSTRAINT user_tokens_new_email');
  await knex.raw('ALTER TABLE user_tokens DROP CONSTRAINT user_tokens_purpose');
  await knex.raw(`ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose CHECK (purpose IN ('verify_email', 'password_reset'))`);
  await knex.schema.alterTable('user_tokens', (t) => {
    t.dropColumn('new_email');
  });
}
