// Records security events in the append-only audit log (docs/security.md).
import type { Knex } from 'knex';
import { findAuditEvents, insertAuditEvent, type AuditEvent, type AuditFilter, type NewAuditEvent } from '../db/queries/audit-events.ts';
import { AppError } from '../errors/app-error.ts';
import { decodeCursor, toPage, type Page } from './pagination.ts';
import { PLATFORM_TENANT_ID } from './permissions.ts';

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

/** A page of a tenant's audit events, newest first; the platform tenant's pages include untenanted events. */
export async function queryAuditLog(
  db: Knex,
  tenantId: string,
  filter: Omit<AuditFilter, 'beforeId' | 'includeUntenanted'> & { cursor?: string | undefined },
): Promise<Page<AuditEvent>> {
  const beforeId = decodeCursor(filter.cursor, 1)?.[0];
  if (beforeId !== undefined && !/^\d{1,19}$/.test(beforeId))
    throw new AppError('INVALID_FORMAT', { field: 'cursor', constraint: 'CURSOR' });
  const rows = await findAuditEvents(db, tenantId, {
    ...filter,
    beforeId,
    limit: filter.limit + 1,
    includeUntenanted: tenantId === PLATFORM_TENANT_ID,
  });
  return toPage(rows, filter.limit, (e) => [e.id]);
}
