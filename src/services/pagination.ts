// Opaque cursors for keyset pagination: the sort key of the last row served, base64url-encoded JSON.
import { AppError } from '../errors/app-error.ts';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(key: unknown[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a cursor into `length` strings; anything else is the client's mistake, named as such. */
export function decodeCursor(cursor: string | undefined, length: number): string[] | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length === length && key.every((v) => typeof v === 'string')) return key as string[];
  } catch {
    // falls through to the validation error
  }
  throw new AppError('INVALID_FORMAT', { field: 'cursor', constraint: 'CURSOR' });
}

/** Queries fetch limit + 1 rows: the extra row only says whether another page exists. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => unknown[]): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
