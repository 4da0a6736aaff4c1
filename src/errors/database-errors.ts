// Maps PostgreSQL failures to catalogue codes: constraint violations become client errors, an unreachable
// database becomes SERVICE_UNAVAILABLE. Everything else stays an internal error.
import { AppError } from './app-error.ts';

const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08006',
  '08001',
  '08003',
  '53300',
]);

/** The field a unique constraint protects, named in the DUPLICATE_RESOURCE answer. */
const UNIQUE_FIELDS: Record<string, string> = {
  tenants_pkey: 'id',
  users_tenant_email_unique: 'email',
  users_tenant_username_unique: 'username',
  clients_tenant_name_unique: 'name',
  clients_tenant_lower_name_unique: 'name',
  roles_tenant_name_unique: 'name',
};

export function fromDatabaseError(err: unknown): AppError | undefined {
  const e = err as { code?: string; constraint?: string; name?: string; message?: string };
  if (!e || typeof e !== 'object') return undefined;
  if (e.code === '23505') {
    const field = e.constraint ? UNIQUE_FIELDS[e.constraint] : undefined;
    return new AppError('DUPLICATE_RESOURCE', { ...(field && { field }), detail: e.constraint });
  }
  // A reference to a row that does not exist (or no longer does).
  if (e.code === '23503') return new AppError('NOT_FOUND', { detail: e.constraint });
  // A value the schema refuses: a CHECK constraint, or longer than its column allows.
  if (e.code === '23514') return new AppError('INVALID_FORMAT', { detail: e.constraint });
  if (e.code === '22001') return new AppError('INVALID_FORMAT', { constraint: 'MAX_LENGTH', detail: e.message });
  if (e.code && UNAVAILABLE.has(e.code)) return new AppError('SERVICE_UNAVAILABLE', { detail: e.code });
  if (e.name === 'KnexTimeoutError') return new AppError('SERVICE_UNAVAILABLE', { detail: 'database pool timeout' });
  if (typeof e.message === 'string' && /Connection terminated|Client has encountered a connection error/.test(e.message)) {
    return new AppError('SERVICE_UNAVAILABLE', { detail: e.message });
  }
  return undefined;
}
