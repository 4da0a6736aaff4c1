// SQL for backchannel_logouts: the durable queue of logout tokens owed to relying parties (OpenID Connect
// Back-Channel Logout 1.0). A row is written with the end of its session; the delivery worker leases due rows.
import type { Knex } from 'knex';

export interface BackchannelLogout {
  id: string;
  tenantId: string;
  clientId: string;
  sessionId: string;
  subject: string;
  sid: string;
  jti: string;
  /** Attempts so far, the one this lease is for included. */
  attempts: number;
  createdAt: Date;
  deliveredAt: Date | null;
  abandonedAt: Date | null;
  lastError: string | null;
}

interface BackchannelLogoutRow {
  id: string | number;
  tenant_id: string;
  client_id: string;
  session_id: string;
  subject: string;
  sid: string;
  jti: string;
  attempts: number;
  created_at: Date;
  delivered_at: Date | null;
  abandoned_at: Date | null;
  last_error: string | null;
}

const toLogout = (r: BackchannelLogoutRow): BackchannelLogout => ({
  id: String(r.id),
  tenantId: r.tenant_id,
  clientId: r.client_id,
  sessionId: r.session_id,
  subject: r.subject,
  sid: r.sid,
  jti: r.jti,
  attempts: r.attempts,
  createdAt: r.created_at,
  deliveredAt: r.delivered_at,
  abandonedAt: r.abandoned_at,
  lastError: r.last_error,
});

/**
 * Queues one logout token for every client that took part in the session and registered a
 * `backchannel_logout_uri`; its `sid` is the one the client's ID tokens carried (session_grants.oidc_sid), or the
 * session's own id for clients that only ever received access tokens (their `sid` claim). Returns how many.
 */
export async function enqueueBackchannelLogouts(db: Knex, tenantId: string, sessionId: string): Promise<number> {
  const result = await db.raw(
    `insert into backchannel_logouts (tenant_id, client_id, session_id, subject, sid, jti)
     select distinct on (g.client_id) s.tenant_id, g.client_id, s.id, s.user_id, coalesce(g.oidc_sid, s.id), gen_random_uuid()::text
       from sessions s
       join session_grants g on g.session_id = s.id
       join clients c on c.client_id = g.client_id and c.tenant_id = s.tenant_id
      where s.tenant_id = ? and s.id = ? and c.metadata->>'backchannel_logout_uri' is not null
      order by g.client_id, g.created_at desc
     returning id`,
    [tenantId, sessionId],
  );
  return ((result as { rows?: unknown[] }).rows ?? []).length;
}

/**
 * Leases up to `limit` due rows of every tenant for `leaseMs` (the attempt is counted now): other processes skip
 * the rows this statement locks, and a process that dies mid-delivery leaves them due again when the lease ends.
 */
export async function leaseDueBackchannelLogoutsAcrossTenants(
  db: Knex,
  options: { limit: number; leaseMs: number },
): Promise<BackchannelLogout[]> {
  const result = await db.raw(
    `update backchannel_logouts
        set attempts = attempts + 1, next_attempt_at = now() + (? * interval '1 millisecond')
      where id in (select id from backchannel_logouts
                    where delivered_at is null and abandoned_at is null and next_attempt_at <= now()
                    order by next_attempt_at
                    limit ? for update skip locked)
      returning *`,
    [options.leaseMs, options.limit],
  );
  return ((result as { rows: BackchannelLogoutRow[] }).rows ?? []).map(toLogout);
}

export async function markBackchannelLogoutDelivered(db: Knex, tenantId: string, id: string): Promise<void> {
  await db('backchannel_logouts').where({ tenant_id: tenantId, id }).update({ delivered_at: db.fn.now(), last_error: null });
}

/** The attempt failed: due again after `delayMs`. */
export async function retryBackchannelLogoutLater(db: Knex, tenantId: string, id: string, delayMs: number, error: string): Promise<void> {
  await db('backchannel_logouts')
    .where({ tenant_id: tenantId, id })
    .whereNull('delivered_at')
    .update({ next_attempt_at: db.raw("now() + (? * interval '1 millisecond')", [delayMs]), last_error: error });
}

/** No more attempts (too many failures, or the client or its URI is gone). */
export async function abandonBackchannelLogout(db: Knex, tenantId: string, id: string, error: string): Promise<void> {
  await db('backchannel_logouts')
    .where({ tenant_id: tenantId, id })
    .whereNull('delivered_at')
    .update({ abandoned_at: db.fn.now(), last_error: error });
}

/** The logout tokens queued for one session, oldest first (operators and tests follow a logout with it). */
export async function findBackchannelLogoutsOfSession(db: Knex, tenantId: string, sessionId: string): Promise<BackchannelLogout[]> {
  const rows = await db<BackchannelLogoutRow>('backchannel_logouts').where({ tenant_id: tenantId, session_id: sessionId }).orderBy('id');
  return rows.map(toLogout);
}
