// SQL for user_tokens: single-use, hashed tokens for email verification, password reset and email change.
import type { Knex } from 'knex';

export type UserTokenPurpose = 'verify_email' | 'password_reset' | 'change_email';

export async function insertUserToken(
  db: Knex,
  token: { tokenHash: string; tenantId: string; userId: string; purpose: UserTokenPurpose; expiresAt: Date; newEmail?: string },
): Promise<void> {
  await db('user_tokens').insert({
    token_hash: token.tokenHash,
    tenant_id: token.tenantId,
    user_id: token.userId,
    purpose: token.purpose,
    expires_at: token.expiresAt,
    new_email: token.newEmail ?? null,
  });
}

/** Uses a token once: marks it used if it is live and returns its user; undefined if unknown, used or expired. */
export async function useUserToken(db: Knex, tenantId: string, tokenHash: string, purpose: UserTokenPurpose): Promise<string | undefined> {
  return (await spendUserToken(db, tenantId, tokenHash, purpose))?.userId;
}

/** Uses an email-change token once: its user and the address it confirms; undefined if unknown, used or expired. */
export async function useEmailChangeToken(
  db: Knex,
  tenantId: string,
  tokenHash: string,
): Promise<{ userId: string; newEmail: string } | undefined> {
  const row = await spendUserToken(db, tenantId, tokenHash, 'change_email');
  return row?.newEmail ? { userId: row.userId, newEmail: row.newEmail } : undefined;
}

/** Marks every unused token of one purpose of a user as used (a newer one replaces them); returns how many. */
export async function voidUserTokens(db: Knex, tenantId: string, userId: string, purpose: UserTokenPurpose): Promise<number> {
  return db('user_tokens').where({ tenant_id: tenantId, user_id: userId, purpose }).whereNull('used_at').update({ used_at: db.fn.now() });
}

async function spendUserToken(db: Knex, tenantId: string, tokenHash: string, purpose: UserTokenPurpose) {
  const [row] = await db('user_tokens')
    .where({ tenant_id: tenantId, token_hash: tokenHash, purpose })
    .whereNull('used_at')
    .andWhere('expires_at', '>', new Date())
    .update({ used_at: db.fn.now() })
    .returning<{ user_id: string; new_email: string | null }[]>(['user_id', 'new_email']);
  return row && { userId: row.user_id, newEmail: row.new_email };
}
