// SQL for the signing_keys table.
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

export async function insertSigningKeys(
  db: Knex,
  rows: Array<Pick<SigningKeyRow, 'kid' | 'alg' | 'private_jwk_encrypted' | 'public_jwk'>>,
): Promise<void> {
  await db('signing_keys').insert(rows.map((r) => ({ ...r, public_jwk: JSON.stringify(r.public_jwk) })));
}

export async function countActiveSigningKeys(db: Knex): Promise<number> {
  const row = await db('signing_keys').where({ status: 'active' }).count<{ n: string | number }>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** Active keys first (newest first), then retired keys still published. */
export async function findPublishedSigningKeys(db: Knex): Promise<SigningKeyRow[]> {
  return db<SigningKeyRow>('signing_keys')
    .where({ status: 'active' })
    .orWhere((q) => q.where({ status: 'retired' }).andWhere('unpublish_after', '>', new Date()))
    .orderByRaw("CASE status WHEN 'active' THEN 0 ELSE 1 END, created_at DESC");
}

export async function retireActiveSigningKeys(db: Knex, unpublishAfter: Date): Promise<string[]> {
  const rows = await db('signing_keys')
    .where({ status: 'active' })
    .update({ status: 'retired', retired_at: db.fn.now(), unpublish_after: unpublishAfter })
    .returning<{ kid: string }[]>('kid');
  return rows.map((r) => r.kid);
}

/** Changes whenever a key is added or retired, or a retired key stops being published. */
export async function signingKeysFingerprint(db: Knex): Promise<string> {
  const row = await db('signing_keys')
    .select(
      db.raw('count(*) as n'),
      db.raw('max(created_at) as created'),
      db.raw('max(retired_at) as retired'),
      db.raw('count(*) filter (where unpublish_after <= now()) as unpublished'),
    )
    .first();
  return JSON.stringify(row);
}
