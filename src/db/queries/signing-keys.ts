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
  retired_at: Date | null;
  unpublish_after: Date | null;
}

export type NewSigningKey = Pick<SigningKeyRow, 'kid' | 'alg' | 'private_jwk_encrypted' | 'public_jwk'>;

/** Serialises key creation and rotation across every process sharing the database (until the transaction ends). */
export async function lockSigningKeys(trx: Knex.Transaction): Promise<void> {
  await trx.raw("select pg_advisory_xact_lock(hashtextextended('signing-keys', 0))");
}

export async function insertSigningKeys(db: Knex, rows: NewSigningKey[]): Promise<void> {
  await db('signing_keys').insert(rows.map((r) => ({ ...r, public_jwk: JSON.stringify(r.public_jwk) })));
}

export async function countActiveSigningKeys(db: Knex): Promise<number> {
  const row = await db('signing_keys').where({ status: 'active' }).count<{ n: string | number }>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** Active keys (newest first), then retired keys still published (newest first). */
export async function findPublishedSigningKeys(db: Knex): Promise<SigningKeyRow[]> {
  return db<SigningKeyRow>('signing_keys')
    .where({ status: 'active' })
    .orWhere((q) => q.where({ status: 'retired' }).andWhere('unpublish_after', '>', db.fn.now()))
    .orderByRaw("CASE status WHEN 'active' THEN 0 ELSE 1 END, created_at DESC, alg, kid");
}

/** Retires every active key, published for `retentionSeconds` more; returns their kids. */
export async function retireActiveSigningKeys(db: Knex, retentionSeconds: number): Promise<string[]> {
  const rows = await db('signing_keys')
    .where({ status: 'active' })
    .update({
      status: 'retired',
      retired_at: db.fn.now(),
      unpublish_after: db.raw('now() + make_interval(secs => ?)', [retentionSeconds]),
    })
    .returning<{ kid: string }[]>('kid');
  return rows.map((r) => r.kid).sort();
}

/** Changes whenever a key is added or retired, or a retired key stops being published; cheap enough to poll. */
export async function findSigningKeysFingerprint(db: Knex): Promise<string> {
  const { rows } = await db.raw<{ rows: Array<{ fingerprint: string }> }>(
    `select concat_ws('|', count(*), max(created_at), max(retired_at), count(*) filter (where unpublish_after <= now())) as fingerprint
       from signing_keys`,
  );
  return rows[0]?.fingerprint ?? '';
}
