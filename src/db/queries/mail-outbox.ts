// SQL for mail_outbox: mail kept in the database when no SMTP server is configured.
import type { Knex } from 'knex';

export interface OutboxMessage {
  id: string;
  tenantId: string | null;
  to: string;
  subject: string;
  body: string;
  kind: string;
  createdAt: Date;
}

export async function insertOutboxMessage(db: Knex, m: Omit<OutboxMessage, 'id' | 'createdAt'>): Promise<void> {
  await db('mail_outbox').insert({ tenant_id: m.tenantId, to_address: m.to, subject: m.subject, body: m.body, kind: m.kind });
}

export async function findOutboxMessages(
  db: Knex,
  tenantId: string,
  filter: { to?: string; limit?: number } = {},
): Promise<OutboxMessage[]> {
  const q = db('mail_outbox')
    .where({ tenant_id: tenantId })
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 50);
  if (filter.to) q.whereRaw('lower(to_address) = ?', [filter.to.toLowerCase()]);
  const rows = await q;
  return rows.map((r: Record<string, unknown>) => ({
    id: String(r.id),
    tenantId: r.tenant_id as string | null,
    to: r.to_address as string,
    subject: r.subject as string,
    body: r.body as string,
    kind: r.kind as string,
    createdAt: r.created_at as Date,
  }));
}
