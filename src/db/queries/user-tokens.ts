// SQL for user_tokens: single-use, hashed tokens for email verification and password reset.
import type { Knex } from 'knex';

export type UserTokenPurpose = 'verify_email' | 'password_reset';

export async function insertUserToken(
  db: Knex,
  token: { tokenHash: string; tenantId: string; userId: string; purpose: UserTokenPurpose; expiresAt: Date },
): Promise<void> {
  await db('user_tokens').insert({
    token_hash: token.tokenHash,
    tenant_id: token.tenantId,
    user_id: token.userId,
    purpose: token.purpose,
    expires_at: token.expiresAt,
  });
}

/** Uses a token once: marks it used if it is live and returns its user; undefined if unknown, used or expired. */
export async function useUserToken(db: Knex, tenantId: string, tokenHash: string, purpose: UserTokenPurpose): Promise<string | undefined> {
  const [row] = await db('user_tokens')
    .where({ tenant_id: tenantId, token_hash: tokenHash, purpose })
    .whereNull('used_at')
    .andWhere('expires_at', '>', new Date())
    .update({ used_at: db.fn.now() })
    .returning<{ user_id: string }[]>('user_id');
  return row?.user_id;
}
