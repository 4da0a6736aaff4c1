// SQL for the append-only audit_events table.
import type { Knex } from 'knex';
import { prepared } from '../knex.ts';

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

/** The columns an event is written to, in the order of auditEventValues (a rotation writes one in its own statement). */
export const AUDIT_EVENT_COLUMNS = 'tenant_id, type, outcome, actor_id, subject_id, client_id, ip, user_agent, request_id, data';

export function auditEventValues(event: NewAuditEvent): Knex.RawBinding[] {
  return [
    event.tenantId,
    event.type,
    event.outcome ?? 'success',
    event.actorId ?? null,
    event.subjectId ?? null,
    event.clientId ?? null,
    event.ip ?? null,
    event.userAgent ?? null,
    event.requestId ?? null,
    JSON.stringify(event.data ?? {}),
  ];
}

/** Written out rather than built: sign-ins insert them on their hot path. */
export async function insertAuditEvent(db: Knex, event: NewAuditEvent): Promise<void> {
  await db
    .raw(`insert into audit_events (${AUDIT_EVENT_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, auditEventValues(event))
    .options(prepared('gh_insert_audit_event'));
}

export interface AuditEvent {
  id: string;
  tenantId: string | null;
  type: string;
  outcome: 'success' | 'failure';
  actorId: string | null;
  subjectId: string | null;
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  data: Record<string, unknown>;
  createdAt: Date;
}

export interface AuditFilter {
  type?: string | undefined;
  /** Events about or by this user. */
  userId?: string | undefined;
  /** Events about this user only (what was done to their account, by them or anyone). */
  subjectId?: string | undefined;
  clientId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Only events older than this id (the cursor: ids grow with time). */
  beforeId?: string | undefined;
  limit: number;
  /** Platform operators also see the events that belong to no tenant (IP blocks). */
  includeUntenanted?: boolean;
}

/** A tenant's events, newest first. */
export async function findAuditEvents(db: Knex, tenantId: string, f: AuditFilter): Promise<AuditEvent[]> {
  const q = db('audit_events')
    .where((w) => (f.includeUntenanted ? w.where({ tenant_id: tenantId }).orWhereNull('tenant_id') : w.where({ tenant_id: tenantId })))
    .orderBy('id', 'desc')
    .limit(f.limit);
  if (f.type) q.andWhere('type', f.type);
  if (f.userId) q.andWhere((w) => w.where('subject_id', f.userId).orWhere('actor_id', f.userId));
  if (f.subjectId) q.andWhere('subject_id', f.subjectId);
  if (f.clientId) q.andWhere('client_id', f.clientId);
  if (f.from) q.andWhere('created_at', '>=', f.from);
  if (f.to) q.andWhere('created_at', '<', f.to);
  if (f.beforeId) q.andWhere('id', '<', f.beforeId);
  const rows: Record<string, unknown>[] = await q;
  return rows.map((r) => ({
    id: String(r.id),
    tenantId: r.tenant_id as string | null,
    type: r.type as string,
    outcome: r.outcome as 'success' | 'failure',
    actorId: r.actor_id as string | null,
    subjectId: r.subject_id as string | null,
    clientId: r.client_id as string | null,
    ip: r.ip as string | null,
    userAgent: r.user_agent as string | null,
    requestId: r.request_id as string | null,
    data: r.data as Record<string, unknown>,
    createdAt: r.created_at as Date,
  }));
}
