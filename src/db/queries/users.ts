// SQL for the users table.
import type { Knex } from 'knex';

export type UserStatus = 'active' | 'disabled';

export interface User {
  id: string;
  tenantId: string;
  email: string;
  username: string | null;
  status: UserStatus;
  emailVerified: boolean;
  failedLoginCount: number;
  lockedUntil: Date | null;
  lastLoginAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A user with the password hash; only the credential check sees this shape. */
export interface UserWithPassword extends User {
  passwordHash: string;
}

export interface NewUser {
  tenantId: string;
  email: string;
  username?: string | undefined;
  passwordHash: string;
  emailVerified: boolean;
}

interface UserRow {
  id: string;
  tenant_id: string;
  email: string;
  username: string | null;
  password_hash: string;
  status: UserStatus;
  email_verified: boolean;
  failed_login_count: number;
  locked_until: Date | null;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  tenantId: r.tenant_id,
  email: r.email,
  username: r.username,
  status: r.status,
  emailVerified: r.email_verified,
  failedLoginCount: r.failed_login_count,
  lockedUntil: r.locked_until,
  lastLoginAt: r.last_login_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export async function insertUser(db: Knex, user: NewUser): Promise<User> {
  const [row] = await db<UserRow>('users')
    .insert({
      tenant_id: user.tenantId,
      email: user.email,
      username: user.username ?? null,
      password_hash: user.passwordHash,
      email_verified: user.emailVerified,
    })
    .returning('*');
  return toUser(row as UserRow);
}

export async function findUserById(db: Knex, tenantId: string, id: string): Promise<User | undefined> {
  const row = await db<UserRow>('users').where({ tenant_id: tenantId, id }).first();
  return row && toUser(row);
}

/** Finds a user of one tenant by email or username, case-insensitively, with the password hash. */
export async function findUserByLogin(db: Knex, tenantId: string, login: string): Promise<UserWithPassword | undefined> {
  const lowered = login.toLowerCase();
  const row = await db<UserRow>('users')
    .where({ tenant_id: tenantId })
    .andWhere((q) => q.whereRaw('lower(email) = ?', [lowered]).orWhereRaw('lower(username) = ?', [lowered]))
    .first();
  return row && { ...toUser(row), passwordHash: row.password_hash };
}

export async function updateUserStatus(db: Knex, tenantId: string, id: string, status: UserStatus): Promise<User | undefined> {
  const [row] = await db<UserRow>('users').where({ tenant_id: tenantId, id }).update({ status, updated_at: db.fn.now() as unknown as Date }).returning('*');
  return row && toUser(row as UserRow);
}
