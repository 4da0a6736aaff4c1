// Renders the server-side pages in views/ (ejs, HTML-escaped by default).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import { pageSecurityHeaders } from './http/koa-security-headers.ts';

const VIEWS_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'views');

/** Headers of every server-rendered page whose forms post only to our origin (see pageSecurityHeaders). */
export const PAGE_SECURITY_HEADERS = pageSecurityHeaders();

export function renderView(name: string, data: Record<string, unknown>): Promise<string> {
  return ejs.renderFile(join(VIEWS_DIR, `${name}.ejs`), data, { async: true, cache: process.env.NODE_ENV === 'production' });
}
