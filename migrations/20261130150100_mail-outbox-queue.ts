// The mail outbox becomes a durable queue whose secrets only the mailer can read (docs/security.md, "Secrets at
// rest: mail"): `body` keeps a redacted copy for the admin API, `sealed_body` the whole mail encrypted under
// SECRET_KEY, `sent_at` marks delivery. A password-reset request is queued before it is composed (`user_id`, no
// body yet), so known and unknown addresses cost the request the same. Existing rows lose their secrets, and
// existing reset and verification tokens (unkeyed SHA-256) are invalidated: their owners ask for new ones.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_outbox', (t) => {
    t.uuid('user_id').references('users.id').onDelete('CASCADE');
    t.text('sealed_body');
    t.timestamp('sent_at', { useTz: true });
    t.integer('attempts').notNullable().defaultTo(0);
  });
  // Every token these mails carried is 43 base64url characters (256 random bits).
  await knex.raw(`UPDATE mail_outbox SET body = regexp_replace(body, '[A-Za-z0-9_-]{43}', '[redacted]', 'g'), sent_at = created_at`);
  await knex.raw('CREATE INDEX mail_outbox_unsent ON mail_outbox (id) WHERE sent_at IS NULL');
  await knex('user_tokens').delete();
}

export async function down(knex: Knex): Promise<void> {
  await knex('mail_outbox').whereNull('sealed_body').andWhere('body', '').delete();
  await knex.raw('DROP INDEX mail_outbox_unsent');
  await knex.schema.alterTable('mail_outbox', (t) => {
    t.dropColumn('attempts');
    t.dropColumn('sent_at');
    t.dropColumn('sealed_body');
    t.dropColumn('user_id');
  });
}
