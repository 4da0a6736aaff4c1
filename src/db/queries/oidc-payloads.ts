// SQL for oidc_payloads: the durable oidc-provider models.
import type { Knex } from 'knex';
import { deletedRows, prepared } from '../knex.ts';
import { AUDIT_EVENT_COLUMNS, auditEventValues, type NewAuditEvent } from './audit-events.ts';
import { GRANT_SESSION_SELECT, grantSessionFromRow, type GrantSession } from './sessions.ts';
import { USER_WITH_ROLE_NAMES_SELECT, userWithRoleNamesFromRow, type UserWithRoleNames } from './users.ts';

export interface OidcPayloadRow {
  payload: Record<string, unknown>;
  consumed_at: Date | null;
}

const live = (q: Knex.QueryBuilder) =>
  q.whereNull('revoked_at').andWhere((w) => w.whereNull('expires_at').orWhere('expires_at', '>', new Date()));

// The statements a refresh runs on every rotation are written out (as raw SQL) rather than built: knex's query
// builder costs about as much CPU per statement as the round trip itself.
export async function upsertOidcPayload(
  db: Knex,
  row: { modelName: string; id: string; payload: Record<string, unknown>; grantId?: string; uid?: string; expiresAt: Date | null },
): Promise<void> {
  await db
    .raw(
      `insert into oidc_payloads (model_name, id, payload, grant_id, uid, expires_at) values (?, ?, ?, ?, ?, ?)
     on conflict (model_name, id) do update
       set payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid, expires_at = excluded.expires_at`,
      [row.modelName, row.id, JSON.stringify(row.payload), row.grantId ?? null, row.uid ?? null, row.expiresAt],
    )
    .options(prepared('gh_upsert_payload'));
}

export async function findOidcPayload(db: Knex, modelName: string, id: string): Promise<OidcPayloadRow | undefined> {
  return live(db('oidc_payloads').where({ model_name: modelName, id })).first('payload', 'consumed_at');
}

const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

export interface TokenWithGrant {
  token: OidcPayloadRow;
  /** The token's live Grant payload; undefined when it has none, or it was revoked or expired. */
  grant: OidcPayloadRow | undefined;
  grantId: string | null;
  /**
   * Set when the token was rotated less than the reuse interval ago and its successor is still unused: the successor's
   * stored id, which a retry with this token supersedes (docs/security.md, "Refresh token reuse and the reuse interval").
   */
  reusableSuccessor: string | undefined;
  /** The Gatehouse session the grant was issued under (whatever its state), as `findSessionByGrantId` reads it. */
  session: GrantSession | undefined;
  /** The user named by the token's accountId, in whichever tenant it is (the caller checks the tenant). */
  account: UserWithRoleNames | undefined;
}

/**
 * A live durable token together with what redeeming it reads next — its grant, the grant's session and the account
 * with its roles — in one round trip instead of four (the refresh_token grant). Each part has the same conditions
 * as its own lookup. Each part is a LATERAL subquery with LIMIT 1, which the planner cannot turn into a join: it is
 * always a lookup by primary key with the token's values. As plain joins, a generic plan made while the statistics
 * still described a young, small table read every Grant and every refresh token of the table per refresh.
 */
export async function findOidcPayloadWithGrant(
  db: Knex,
  modelName: string,
  id: string,
  reuseIntervalSeconds: number,
): Promise<TokenWithGrant | undefined> {
  const now = new Date();
  const { rows } = (await db
    .raw(
      `select t.payload, t.consumed_at, t.grant_id, g.payload as grant_payload, g.consumed_at as grant_consumed_at,
            case when ?::int > 0 and t.consumed_at > now() - make_interval(secs => ?::int) then nx.id end as reusable_successor,
            ${GRANT_SESSION_SELECT}, ${USER_WITH_ROLE_NAMES_SELECT}
       from oidc_payloads t
       left join lateral (
         select payload, consumed_at from oidc_payloads g
          where g.model_name = 'Grant' and g.id = t.grant_id and g.revoked_at is null and (g.expires_at is null or g.expires_at > ?)
          limit 1) g on true
       left join lateral (
         select id from oidc_payloads nx
          where nx.model_name = t.model_name and nx.id = t.successor_id and nx.consumed_at is null and nx.revoked_at is null
            and (nx.expires_at is null or nx.expires_at > ?)
          limit 1) nx on true
       left join lateral (select * from session_grants sg where sg.grant_id = t.grant_id limit 1) sg on true
       left join lateral (select * from sessions s where s.id = sg.session_id limit 1) s on true
       left join lateral (
         select * from users u where u.id = case when t.payload->>'accountId' ~* ? then (t.payload->>'accountId')::uuid end
          limit 1) u on true
      where t.model_name = ? and t.id = ? and t.revoked_at is null and (t.expires_at is null or t.expires_at > ?)
      limit 1`,
      [reuseIntervalSeconds, reuseIntervalSeconds, now, now, UUID_PATTERN, modelName, id, now],
    )
    .options(prepared('gh_token_with_successor'))) as { rows: Array<Record<string, unknown>> };
  const row = rows[0];
  if (!row) return undefined;
  return {
    token: { payload: row['payload'] as Record<string, unknown>, consumed_at: row['consumed_at'] as Date | null },
    grant: row['grant_payload']
      ? { payload: row['grant_payload'] as Record<string, unknown>, consumed_at: row['grant_consumed_at'] as Date | null }
      : undefined,
    grantId: (row['grant_id'] as string | null) ?? null,
    reusableSuccessor: (row['reusable_successor'] as string | null) ?? undefined,
    session: grantSessionFromRow(row),
    account: userWithRoleNamesFromRow(row),
  };
}

export async function findOidcPayloadByUid(db: Knex, modelName: string, uid: string): Promise<OidcPayloadRow | undefined> {
  return live(db('oidc_payloads').where({ model_name: modelName, uid })).first('payload', 'consumed_at');
}

/**
 * Marks a live payload consumed unless it already was: one conditional UPDATE, so of any number of racing calls
 * (on any process) exactly one returns true. Readers give oidc-provider `consumed` from consumed_at (toPayload).
 */
export async function consumeOidcPayload(db: Knex, modelName: string, id: string): Promise<boolean> {
  const { rows } = (await db.raw(
    `update oidc_payloads
        set consumed_at = now()
      where model_name = ? and id = ? and consumed_at is null and revoked_at is null and (expires_at is null or expires_at > ?)
      returning id`,
    [modelName, id, new Date()],
  )) as { rows: unknown[] };
  return rows.length === 1;
}

type PayloadRowInput = {
  modelName: string;
  id: string;
  payload: Record<string, unknown>;
  grantId?: string;
  uid?: string;
  expiresAt: Date | null;
};

/**
 * A rotation: consumes one payload (recording its successor) and, only if that succeeded, upserts the successor and
 * records the audit event, in one statement. Exactly one of racing redemptions gets its new token, and a rotation and
 * its record commit together. False (and nothing written) when the first payload was already consumed, revoked,
 * expired or gone.
 *
 * With `supersedes` (a retry within the reuse interval with a token already rotated), the token stays consumed and
 * points to the new successor instead, and the successor it had (`supersedes`) is consumed in its place, only if that
 * one is still unused: of racing retries, too, exactly one succeeds.
 */
export async function rotateOidcPayload(
  db: Knex,
  consume: { modelName: string; id: string; supersedes?: string },
  row: PayloadRowInput,
  audit: NewAuditEvent,
): Promise<boolean> {
  const saved = `saved as (
         insert into oidc_payloads (model_name, id, payload, grant_id, uid, expires_at)
         select ?, ?, ?::jsonb, ?, ?, ?::timestamptz where exists (select 1 from consumed)
         on conflict (model_name, id) do update
           set payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid, expires_at = excluded.expires_at
         returning id
       ), audited as (
         insert into audit_events (${AUDIT_EVENT_COLUMNS})
         select ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb where exists (select 1 from saved)
       )
       select id from saved`;
  const rowValues = [
    row.modelName,
    row.id,
    JSON.stringify(row.payload),
    row.grantId ?? null,
    row.uid ?? null,
    row.expiresAt,
    ...auditEventValues(audit),
  ];
  // consumed_at alone marks it (readers put `consumed` back into the payload from it): the row's payload is not
  // rewritten, so the update stays small and PostgreSQL can keep it on the same page (no index changes).
  const spend = `set consumed_at = now()`;
  const query = consume.supersedes
    ? db
        .raw(
          `with superseded as (
             update oidc_payloads ${spend}
              where model_name = ? and id = ? and consumed_at is null and revoked_at is null and (expires_at is null or expires_at > ?)
              returning id
           ), consumed as (
             update oidc_payloads set successor_id = ?
              where model_name = ? and id = ? and successor_id = ? and revoked_at is null and exists (select 1 from superseded)
              returning id
           ), ${saved}`,
          [consume.modelName, consume.supersedes, new Date(), row.id, consume.modelName, consume.id, consume.supersedes, ...rowValues],
        )
        .options(prepared('gh_rerotate'))
    : db
        .raw(
          `with consumed as (
             update oidc_payloads ${spend}, successor_id = ?
              where model_name = ? and id = ? and consumed_at is null and revoked_at is null and (expires_at is null or expires_at > ?)
              returning id
           ), ${saved}`,
          [row.id, consume.modelName, consume.id, new Date(), ...rowValues],
        )
        .options(prepared('gh_rotate'));
  const { rows } = (await query) as { rows: unknown[] };
  return rows.length === 1;
}

/**
 * A refresh token presented once too often (docs/security.md, "Refresh token reuse"): if it is consumed, every token of
 * its grant, the grant itself and our record of it (session_grants, which JWT access tokens are checked against) are
 * revoked in one statement. Run it as a statement of its own after the losing rotation, so that it sees the winner's
 * committed successor. Returns the grant id, or undefined when the token was not consumed but revoked, expired or gone.
 */
export async function revokeGrantOfReusedPayload(db: Knex, modelName: string, id: string): Promise<string | undefined> {
  const { rows } = (await db.raw(
    `with reused as (
       select grant_id from oidc_payloads where model_name = ? and id = ? and consumed_at is not null and grant_id is not null
     ), tokens as (
       update oidc_payloads set revoked_at = now()
        where revoked_at is null and (grant_id in (select grant_id from reused) or (model_name = 'Grant' and id in (select grant_id from reused)))
     ), recorded as (
       update session_grants set revoked_at = now() where grant_id in (select grant_id from reused) and revoked_at is null
     )
     select grant_id from reused`,
    [modelName, id],
  )) as { rows: Array<{ grant_id: string }> };
  return rows[0]?.grant_id;
}

export async function deleteOidcPayload(db: Knex, modelName: string, id: string): Promise<void> {
  await db('oidc_payloads').where({ model_name: modelName, id }).delete();
}

/** Revoked payloads stay (until they expire) so that a later use can be told apart from an unknown token. */
export async function revokeOidcPayloadsByGrant(db: Knex, modelName: string, grantId: string): Promise<void> {
  await db('oidc_payloads').where({ model_name: modelName, grant_id: grantId }).whereNull('revoked_at').update({ revoked_at: db.fn.now() });
}

/**
 * Revokes a whole grant at once: its durable tokens of every model, the Grant itself and our session_grants record
 * (which JWT access tokens are checked against), in one statement, so no reader sees half a revocation.
 */
export async function revokeGrantEverywhere(db: Knex, grantId: string): Promise<void> {
  await db.raw(
    `with tokens as (
       update oidc_payloads set revoked_at = now()
        where revoked_at is null and (grant_id = ? or (model_name = 'Grant' and id = ?))
     )
     update session_grants set revoked_at = now() where grant_id = ? and revoked_at is null`,
    [grantId, grantId, grantId],
  );
}

/** Housekeeping: removes expired rows of every model. */
export async function deleteExpiredOidcPayloads(db: Knex): Promise<number> {
  return deletedRows(await db('oidc_payloads').where('expires_at', '<=', new Date()).delete());
}

/**
 * The grants still holding live tokens of a client: Grant payloads issued to it and the grants of its live refresh
 * tokens. Client ids are globally unique, so this needs no tenant.
 */
export async function findLiveGrantIdsOfClient(db: Knex, clientId: string): Promise<string[]> {
  const rows = await live(
    db('oidc_payloads').whereIn('model_name', ['Grant', 'RefreshToken']).whereRaw("payload->>'clientId' = ?", [clientId]),
  ).distinct(db.raw("CASE WHEN model_name = 'Grant' THEN id ELSE grant_id END AS grant_id"));
  return (rows as Array<{ grant_id: string | null }>).flatMap((r) => (r.grant_id ? [r.grant_id] : []));
}
