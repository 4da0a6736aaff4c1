// SQL for mail_outbox: the durable queue of outgoing mail (docs/security.md, "Secrets at rest: mail"). A row is
// a request to compose (a password reset: `user_id`, no body yet), or a composed mail (`sealed_body`) waiting
// for delivery or delivered (`sent_at`).
import type { Knex } from 'knex';

export interface OutboxMessage {
  id: string;
  tenantId: string | null;
  to: string;
  subject: string;
  /** With every secret redacted: what the admin API shows. */
  body: string;
  kind: string;
  createdAt: Date;
  sentAt: Date | null;
}

export interface ComposedMail {
  tenantId: string | null;
  to: string;
  subject: string;
  body: string;
  sealedBody: string;
  kind: string;
}

export interface QueuedMail {
  id: string;
  tenantId: string | null;
  userId: string | null;
  to: string;
  kind: string;
  sealedBody: string | null;
  attempts: number;
}

interface OutboxRow {
  id: string;
  tenant_id: string | null;
  user_id: string | null;
  to_address: string;
  subject: string;
  body: string;
  sealed_body: string | null;
  kind: string;
  attempts: number;
  created_at: Date;
  sent_at: Date | null;
}

export async function insertComposedMail(db: Knex, m: ComposedMail): Promise<void> {
  await db('mail_outbox').insert({
    tenant_id: m.tenantId,
    to_address: m.to,
    subject: m.subject,
    body: m.body,
    sealed_body: m.sealedBody,
    kind: m.kind,
  });
}

/** A mail to compose later from its user (null when the address belongs to nobody: the row is then dropped). */
export async function insertMailRequest(db: Knex, m: { tenantId: string; userId: string | null; to: string; kind: string }): Promise<void> {
  await db('mail_outbox').insert({ tenant_id: m.tenantId, user_id: m.userId, to_address: m.to, subject: '', body: '', kind: m.kind });
}

/**
 * Claims up to `limit` unsent rows for this transaction (other processes skip them): requests still to compose,
 * and, when `deliverable`, composed mails not yet delivered after fewer than `maxAttempts` tries.
 */
export async function claimUnsentMailAcrossTenants(
  trx: Knex.Transaction,
  options: { limit: number; deliverable: boolean; maxAttempts: number },
): Promise<QueuedMail[]> {
  const rows = await trx<OutboxRow>('mail_outbox')
    .whereNull('sent_at')
    .andWhere((q) => {
      q.whereNull('sealed_body');
      if (options.deliverable) q.orWhere('attempts', '<', options.maxAttempts);
    })
    .orderBy('id')
    .limit(options.limit)
    .forUpdate()
    .skipLocked();
  return rows.map((r) => ({
    id: String(r.id),
    tenantId: r.tenant_id,
    userId: r.user_id,
    to: r.to_address,
    kind: r.kind,
    sealedBody: r.sealed_body,
    attempts: r.attempts,
  }));
}

export async function composeQueuedMail(
  db: Knex,
  tenantId: string,
  id: string,
  mail: { to: string; subject: string; body: string; sealedBody: string },
): Promise<void> {
  await db('mail_outbox')
    .where({ id, tenant_id: tenantId })
    .update({ to_address: mail.to, subject: mail.subject, body: mail.body, sealed_body: mail.sealedBody });
}

export async function deleteQueuedMail(db: Knex, tenantId: string, id: string): Promise<void> {
  await db('mail_outbox').where({ id, tenant_id: tenantId }).whereNull('sealed_body').delete();
}

export async function markMailSent(db: Knex, tenantId: string | null, id: string): Promise<void> {
  await db('mail_outbox')
    .where({ id, tenant_id: tenantId })
    .update({ sent_at: db.fn.now(), attempts: db.raw('attempts + 1') });
}

/** Puts a mail whose delivery failed back into the queue (its attempt stays counted). */
export async function markMailUnsent(db: Knex, tenantId: string | null, id: string): Promise<void> {
  await db('mail_outbox').where({ id, tenant_id: tenantId }).update({ sent_at: null });
}

/** The tenant's composed mail, newest first, secrets redacted. */
export async function findOutboxMessages(
  db: Knex,
  tenantId: string,
  filter: { to?: string | undefined; limit?: number } = {},
): Promise<OutboxMessage[]> {
  const q = db<OutboxRow>('mail_outbox')
    .where({ tenant_id: tenantId })
    .whereNot('body', '')
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 50);
  if (filter.to) q.whereRaw('lower(to_address) = ?', [filter.to.toLowerCase()]);
  const rows = await q;
  return rows.map((r) => ({
    id: String(r.id),
    tenantId: r.tenant_id,
    to: r.to_address,
    subject: r.subject,
    body: r.body,
    kind: r.kind,
    createdAt: r.created_at,
    sentAt: r.sent_at,
  }));
}
