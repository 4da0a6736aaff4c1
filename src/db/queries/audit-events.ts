// SQL for the append-only audit_events table.
import type { Knex } from 'knex';

export interface NewAuditEvent {
  tenantId: string | null;
  type: string;
  outcome?: 'success' | 'failure';
  actorId?: string | null | undefined;
  subjectId?: string | null | undefined;
  clientId?: string | null | undefined;
  ip?: string | null | undefined;
  userAgent?: string | null | undefined;
  requestId?: string | null | undefined;
  data?: Record<string, unknown>;
}

export async function insertAuditEvent(db: Knex, event: NewAuditEvent): Promise<void> {
  await db('audit_events').insert({
    tenant_id: event.tenantId,
    type: event.type,
    outcome: event.outcome ?? 'success',
    actor_id: event.actorId ?? null,
    subject_id: event.subjectId ?? null,
    client_id: event.clientId ?? null,
    ip: event.ip ?? null,
    user_agent: event.userAgent ?? null,
    request_id: event.requestId ?? null,
    data: JSON.stringify(event.data ?? {}),
  });
}
