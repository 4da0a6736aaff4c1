// SQL for the signing_keys table (platform-wide: keys belong to no tenant). Times are the database's, so
// processes with drifting clocks agree on what is published.
import type { Knex } from 'knex';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  private_jwk_encrypted: string;
  public_jwk: Record<string, unknown>;
  status: 'active' | 'retired';
  created_at: Date;
  /** Retired keys sign until their successor's `signs_from`. */
  retired_at: Date | null;
  unpublish_after: Date | null;
  /** Published and verifying from creation; signing only from this time on (a staged key until then). */
  signs_from: Date;
}

export type NewSigningKey = Pick<SigningKeyRow, 'kid' | 'alg' | 'private_jwk_encrypted' | 'public_jwk'>;

/** Serialises key creation and rotation across every process sharing the database (until the transaction ends). */
export async function lockSigningKeys(trx: Knex.Transaction): Promise<void> {
  await trx.raw("select pg_advisory_xact_lock(hashtextextended('signing-keys', 0))");
}

/** Inserts a generation that signs `signsAfterMs` from now (database time); 0: at once. */
export async function insertSigningKeys(db: Knex, rows: NewSigningKey[], signsAfterMs = 0): Promise<void> {
  await db('signing_keys').insert(
    rows.map((r) => ({
      ...r,
      public_jwk: JSON.stringify(r.public_jwk),
      signs_from: db.raw('now() + make_interval(secs => ?)', [signsAfterMs / 1000]),
    })),
  );
}

export async function countActiveSigningKeys(db: Knex): Promise<number> {
  const row = await db('signing_keys').where({ status: 'active' }).count<{ n: string | number }>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** The algorithms the active keys (signing or staged) are for. */
export async function findActiveSigningAlgs(db: Knex): Promise<string[]> {
  const rows = await db('signing_keys').where({ status: 'active' }).distinct<{ alg: string }[]>('alg');
  return rows.map((r) => r.alg);
}

/**
 * Every published key: the generation that signs now first (oidc-provider signs with the first key of an
 * algorithm), then staged keys (not signing yet), then retired ones still published; newest first within each.
 */
export async function findPublishedSigningKeys(db: Knex): Promise<SigningKeyRow[]> {
  return db<SigningKeyRow>('signing_keys')
    .where({ status: 'active' })
    .orWhere((q) => q.where({ status: 'retired' }).andWhere('unpublish_after', '>', db.fn.now()))
    .orderByRaw(
      `CASE WHEN signs_from <= now() AND (retired_at IS NULL OR retired_at > now()) THEN 0
            WHEN signs_from > now() THEN 1 ELSE 2 END, signs_from DESC, created_at DESC, alg, kid`,
    );
}

/**
 * Retires every active key (including a staged one) as of `afterMs` from now, when its successor starts to sign;
 * it stays published `retentionSeconds` beyond that. Returns their kids.
 */
export async function retireActiveSigningKeys(db: Knex, retentionSeconds: number, afterMs = 0): Promise<string[]> {
  const rows = await db('signing_keys')
    .where({ status: 'active' })
    .update({
      status: 'retired',
      retired_at: db.raw('now() + make_interval(secs => ?)', [afterMs / 1000]),
      unpublish_after: db.raw('now() + make_interval(secs => ?)', [afterMs / 1000 + retentionSeconds]),
    })
    .returning<{ kid: string }[]>('kid');
  return rows.map((r) => r.kid).sort();
}

/**
 * Changes whenever a key is added or retired, a staged key starts to sign, or a retired key stops being
 * published; cheap enough to poll.
 */
export async function findSigningKeysFingerprint(db: Knex): Promise<string> {
  const { rows } = await db.raw<{ rows: Array<{ fingerprint: string }> }>(
    `select concat_ws('|', count(*), max(created_at), max(retired_at), count(*) filter (where unpublish_after <= now()),
                      count(*) filter (where signs_from <= now())) as fingerprint
       from signing_keys`,
  );
  return rows[0]?.fingerprint ?? '';
}

/** When the key `kid` starts (or started) to sign. */
export async function findSigningStart(db: Knex, kid: string): Promise<Date> {
  const row = await db<SigningKeyRow>('signing_keys').where({ kid }).first('signs_from');
  if (!row) throw new Error(`signing key ${kid} not found`);
  return new Date(row.signs_from);
}
