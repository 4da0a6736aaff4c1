// SQL for sessions and session_grants.
import type { Knex } from 'knex';
import { prepared } from '../knex.ts';

export interface SessionRecord {
  id: string;
  tenantId: string;
  userId: string;
  clientId: string | null;
  amr: string[];
  ip: string | null;
  userAgent: string | null;
  oidcSessionUid: string | null;
  createdAt: Date;
  lastSeenAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  endReason: string | null;
}

interface SessionRow {
  id: string;
  tenant_id: string;
  user_id: string;
  client_id: string | null;
  amr: string[];
  ip: string | null;
  user_agent: string | null;
  oidc_session_uid: string | null;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  ended_at: Date | null;
  end_reason: string | null;
}

const toSession = (r: SessionRow): SessionRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  userId: r.user_id,
  clientId: r.client_id,
  amr: r.amr,
  ip: r.ip,
  userAgent: r.user_agent,
  oidcSessionUid: r.oidc_session_uid,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
  endedAt: r.ended_at,
  endReason: r.end_reason,
});

export type NewSession = Pick<SessionRecord, 'id' | 'tenantId' | 'userId' | 'clientId' | 'amr' | 'ip' | 'userAgent' | 'expiresAt'>;

export async function insertSession(db: Knex, s: NewSession): Promise<SessionRecord> {
  const [row] = await db<SessionRow>('sessions')
    .insert({
      id: s.id,
      tenant_id: s.tenantId,
      user_id: s.userId,
      client_id: s.clientId,
      amr: s.amr,
      ip: s.ip,
      user_agent: s.userAgent,
      expires_at: s.expiresAt,
    })
    .returning('*');
  return toSession(row as SessionRow);
}

const live = (q: Knex.QueryBuilder) => q.whereNull('ended_at').andWhere('expires_at', '>', new Date());

export async function findLiveSession(db: Knex, tenantId: string, id: string): Promise<SessionRecord | undefined> {
  const row = await live(db('sessions').where({ tenant_id: tenantId, id })).first();
  return row && toSession(row);
}

/**
 * A live session and whether it still holds a live grant for `clientId`, in one round trip: the check behind every
 * JWT at /me, userinfo and introspection (docs/security.md).
 */
export async function findLiveSessionWithGrant(
  db: Knex,
  tenantId: string,
  id: string,
  clientId: string,
): Promise<(SessionRecord & { hasLiveGrant: boolean }) | undefined> {
  const row = await live(db('sessions').where({ tenant_id: tenantId, id }))
    .select(
      'sessions.*',
      db.raw(
        'exists (select 1 from session_grants g where g.session_id = sessions.id and g.client_id = ? and g.revoked_at is null) as has_live_grant',
        [clientId],
      ),
    )
    .first();
  return row && { ...toSession(row), hasLiveGrant: row.has_live_grant === true };
}

export async function findLiveSessionByOidcUid(db: Knex, tenantId: string, oidcSessionUid: string): Promise<SessionRecord | undefined> {
  const row = await live(db('sessions').where({ tenant_id: tenantId, oidc_session_uid: oidcSessionUid }))
    .orderBy('created_at', 'desc')
    .first();
  return row && toSession(row);
}

export async function setOidcSessionUid(db: Knex, tenantId: string, id: string, oidcSessionUid: string): Promise<void> {
  await db('sessions').where({ tenant_id: tenantId, id }).update({ oidc_session_uid: oidcSessionUid });
}

export async function insertSessionGrant(db: Knex, sessionId: string, grantId: string, clientId: string): Promise<void> {
  await db('session_grants').insert({ session_id: sessionId, grant_id: grantId, client_id: clientId }).onConflict('grant_id').ignore();
}

export type GrantSession = SessionRecord & { grantRevokedAt: Date | null; grantClientId: string };

/** The session a grant was issued under, with the grant's own state. Grant ids are globally unique. */
export async function findSessionByGrantId(db: Knex, grantId: string): Promise<GrantSession | undefined> {
  const row = await db('session_grants as g')
    .join('sessions as s', 's.id', 'g.session_id')
    .where('g.grant_id', grantId)
    .select('s.*', 'g.revoked_at as grant_revoked_at', 'g.client_id as grant_client_id')
    .first();
  return row && { ...toSession(row), grantRevokedAt: row.grant_revoked_at, grantClientId: row.grant_client_id };
}

/**
 * The session a durable token (a refresh token, by its stored id) was issued under, whatever the token's or session's
 * state: one round trip from token to grant to session.
 */
export async function findSessionByPayloadId(db: Knex, modelName: string, payloadId: string): Promise<GrantSession | undefined> {
  // Every JSON API refresh runs it: prepared once per connection, and each step a lookup by key (as the refresh
  // token lookup in oidc-payloads.ts, whatever the statistics say).
  const { rows } = (await db
    .raw(
      `select ${GRANT_SESSION_SELECT}
         from oidc_payloads t
         join lateral (select * from session_grants sg where sg.grant_id = t.grant_id limit 1) sg on true
         join lateral (select * from sessions s where s.id = sg.session_id limit 1) s on true
        where t.model_name = ? and t.id = ?`,
      [modelName, payloadId],
    )
    .options(prepared('gh_session_by_payload'))) as { rows: Array<Record<string, unknown>> };
  return rows[0] && grantSessionFromRow(rows[0]);
}

const SESSION_COLUMNS: ReadonlyArray<keyof SessionRow> = [
  'id',
  'tenant_id',
  'user_id',
  'client_id',
  'amr',
  'ip',
  'user_agent',
  'oidc_session_uid',
  'created_at',
  'last_seen_at',
  'expires_at',
  'ended_at',
  'end_reason',
];

/**
 * The select list of a grant's session for queries elsewhere that join `session_grants` as `sg` and `sessions` as
 * `s` (columns prefixed `s__`); `grantSessionFromRow` reads it back.
 */
export const GRANT_SESSION_SELECT = [
  ...SESSION_COLUMNS.map((c) => `s.${c} as s__${c}`),
  'sg.revoked_at as s__grant_revoked_at',
  'sg.client_id as s__grant_client_id',
].join(', ');

export function grantSessionFromRow(row: Record<string, unknown>): GrantSession | undefined {
  if (row['s__id'] == null) return undefined;
  const session = Object.fromEntries(SESSION_COLUMNS.map((c) => [c, row[`s__${c}`]])) as unknown as SessionRow;
  return {
    ...toSession(session),
    grantRevokedAt: row['s__grant_revoked_at'] as Date | null,
    grantClientId: row['s__grant_client_id'] as string,
  };
}

export async function markGrantRevoked(db: Knex, grantId: string): Promise<void> {
  await db('session_grants').where({ grant_id: grantId }).whereNull('revoked_at').update({ revoked_at: db.fn.now() });
}

/** Ends a live session; returns its user and grant ids (to revoke), or undefined when it was not live. */
export async function endSessionRow(
  db: Knex,
  tenantId: string,
  id: string,
  reason: string,
): Promise<{ userId: string; grantIds: string[] } | undefined> {
  const [ended] = await db('sessions')
    .where({ tenant_id: tenantId, id })
    .whereNull('ended_at')
    .update({ ended_at: db.fn.now(), end_reason: reason })
    .returning<{ user_id: string }[]>('user_id');
  if (!ended) return undefined;
  const grants = await db('session_grants').where({ session_id: id }).whereNull('revoked_at').select<{ grant_id: string }[]>('grant_id');
  return { userId: ended.user_id, grantIds: grants.map((g) => g.grant_id) };
}

export async function findLiveSessionIdsByOidcUid(db: Knex, oidcSessionUid: string): Promise<Array<{ id: string; tenantId: string }>> {
  const rows = await live(db('sessions').where({ oidc_session_uid: oidcSessionUid })).select('id', 'tenant_id');
  return rows.map((r: { id: string; tenant_id: string }) => ({ id: r.id, tenantId: r.tenant_id }));
}

/** Live sessions of one user, oldest first. */
export async function findLiveSessionsOfUser(db: Knex, tenantId: string, userId: string): Promise<SessionRecord[]> {
  const rows = await live(db('sessions').where({ tenant_id: tenantId, user_id: userId })).orderBy('created_at', 'asc');
  return rows.map(toSession);
}

/**
 * The ids of a user's live sessions beyond their newest `keep`, oldest first: those a new session would push over a
 * limit of `keep + 1`. Reads no more rows than that, however many sessions the user holds (an account that signs in
 * all day keeps its limit's worth of them live).
 */
export async function findLiveSessionIdsBeyond(db: Knex, tenantId: string, userId: string, keep: number): Promise<string[]> {
  // Written out, the conditions of `live` included: knex leaves `offset 0` out of the SQL, and a prepared statement's
  // name must always carry the same text.
  const { rows } = (await db
    .raw(
      `select id from sessions where tenant_id = ? and user_id = ? and ended_at is null and expires_at > ?
        order by created_at desc offset ?`,
      [tenantId, userId, new Date(), keep],
    )
    .options(prepared('gh_live_sessions_beyond'))) as { rows: Array<{ id: string }> };
  return rows.map((r) => r.id).reverse();
}

/** Serialises sign-ins of one user across processes for the rest of the transaction (session limits). */
export async function lockUserSessions(trx: Knex.Transaction, tenantId: string, userId: string): Promise<void> {
  await trx.raw('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`sessions:${tenantId}:${userId}`]);
}

/**
 * Moves last-seen forward at most once a minute: an UPDATE that matches no row writes no WAL, so a session refreshed
 * many times a minute costs no commit each time.
 */
export async function touchSession(db: Knex, tenantId: string, id: string): Promise<void> {
  await db('sessions')
    .where({ tenant_id: tenantId, id })
    .where('last_seen_at', '<', db.raw("now() - interval '60 seconds'"))
    .update({ last_seen_at: db.fn.now() });
}

/** The live sessions of a user other than `keepId`, for "sign out everywhere else". */
export async function findOtherLiveSessionIds(db: Knex, tenantId: string, userId: string, keepId: string | null): Promise<string[]> {
  const q = live(db('sessions').where({ tenant_id: tenantId, user_id: userId }));
  if (keepId) q.whereNot({ id: keepId });
  return (await q.select<{ id: string }[]>('id')).map((r) => r.id);
}

/** Grants issued to a client under a sign-in session and not yet revoked. Client ids are globally unique. */
export async function findLiveSessionGrantIdsOfClient(db: Knex, clientId: string): Promise<string[]> {
  const rows = await db('session_grants').where({ client_id: clientId }).whereNull('revoked_at').select<{ grant_id: string }[]>('grant_id');
  return rows.map((r) => r.grant_id);
}

/** Grants a user's sign-ins issued to one client and not yet revoked, whatever became of the sessions. */
export async function findUnrevokedGrantIdsOfUserAndClient(
  db: Knex,
  tenantId: string,
  userId: string,
  clientId: string,
): Promise<string[]> {
  const rows = await db('session_grants as g')
    .join('sessions as s', 's.id', 'g.session_id')
    .where({ 's.tenant_id': tenantId, 's.user_id': userId, 'g.client_id': clientId })
    .whereNull('g.revoked_at')
    .select<{ grant_id: string }[]>('g.grant_id');
  return rows.map((r) => r.grant_id);
}

/** The `sid` oidc-provider put in the ID tokens of this grant's client (back-channel logout tokens repeat it). */
export async function setSessionGrantOidcSid(db: Knex, grantId: string, oidcSid: string): Promise<void> {
  await db('session_grants').where({ grant_id: grantId }).whereRaw('oidc_sid is distinct from ?', [oidcSid]).update({ oidc_sid: oidcSid });
}
