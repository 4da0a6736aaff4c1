// Renders the server-side pages in views/ (ejs, HTML-escaped by default).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';

const VIEWS_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'views');

/** Headers of every server-rendered page: nothing but inline styles and data: images, no framing. */
export const PAGE_SECURITY_HEADERS = {
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'",
} as const;

export function renderView(name: string, data: Record<string, unknown>): Promise<string> {
  return ejs.renderFile(join(VIEWS_DIR, `${name}.ejs`), data, { async: true, cache: process.env.NODE_ENV === 'production' });
}
