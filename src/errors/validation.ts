// Turns zod problems into the guide's REQUIRED_FIELD / INVALID_FORMAT items, every problem of a body at once.
import type { z } from 'zod';
import { AppError, errorItem, type ErrorItem } from './app-error.ts';

/** Parses input with a schema or throws one AppError listing every problem (guide: "Validation Issues"). */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw AppError.many(result.error.issues.map((issue) => toErrorItem(issue, input)));
}

function toErrorItem(issue: z.core.$ZodIssue, input: unknown): ErrorItem {
  const field = issue.path.map(String).join('.') || undefined;
  const missing = valueAt(input, issue.path) === undefined || valueAt(input, issue.path) === null;
  if (issue.code === 'invalid_type' && missing) return errorItem('REQUIRED_FIELD', { field });
  return errorItem('INVALID_FORMAT', { field, constraint: constraintOf(issue) });
}

function constraintOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return 'TYPE';
    case 'too_small':
      return issue.origin === 'string' ? 'MIN_LENGTH' : issue.origin === 'array' ? 'MIN_ITEMS' : 'MIN_VALUE';
    case 'too_big':
      return issue.origin === 'string' ? 'MAX_LENGTH' : issue.origin === 'array' ? 'MAX_ITEMS' : 'MAX_VALUE';
    case 'invalid_format':
      if (issue.format === 'email') return 'EMAIL_FORMAT';
      if (issue.format === 'url') return 'URL_FORMAT';
      return 'PATTERN';
    case 'invalid_value':
      return 'ENUM';
    case 'unrecognized_keys':
      return 'UNKNOWN_FIELD';
    case 'custom':
      return String((issue.params as { constraint?: string } | undefined)?.constraint ?? 'INVALID');
    default:
      return 'INVALID';
  }
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}
