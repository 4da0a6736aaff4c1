// Records security events in the append-only audit log (SPEC §11).
import type { Knex } from 'knex';
import { insertAuditEvent, type NewAuditEvent } from '../db/queries/audit-events.ts';

/** Who did it and from where: filled by the HTTP layer, or `cli` for the command line. */
export interface AuditMeta {
  actorId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

export const CLI_ACTOR: AuditMeta = { actorId: 'cli' };

export function recordAudit(db: Knex, event: NewAuditEvent, meta: AuditMeta = {}): Promise<void> {
  return insertAuditEvent(db, { ...meta, ...event });
}
