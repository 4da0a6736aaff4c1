// Maps storage failures to catalogue codes: constraint violations become client errors, an unreachable or
// unanswering database or Redis becomes SERVICE_UNAVAILABLE (dependency-errors.ts). Everything else stays an
// internal error.
import { AppError } from './app-error.ts';
import { fromDependencyError } from './dependency-errors.ts';

/** The field a unique constraint protects, named in the DUPLICATE_RESOURCE answer. */
const UNIQUE_FIELDS: Record<string, string> = {
  tenants_pkey: 'id',
  users_tenant_email_unique: 'email',
  users_tenant_username_unique: 'username',
  clients_tenant_name_unique: 'name',
  clients_tenant_lower_name_unique: 'name',
  roles_tenant_name_unique: 'name',
  api_resources_tenant_identifier_unique: 'identifier',
  api_resources_identifier_unique: 'identifier',
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
  return fromDependencyError(err);
}
