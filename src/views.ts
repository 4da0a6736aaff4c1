// Renders the server-side pages in views/ (ejs, HTML-escaped by default).
import { join } from 'node:path';
import ejs from 'ejs';

const VIEWS_DIR = join(import.meta.dirname, '..', 'views');

export function renderView(name: string, data: Record<string, unknown>): Promise<string> {
  return ejs.renderFile(join(VIEWS_DIR, `${name}.ejs`), data, { async: true, cache: process.env.NODE_ENV === 'production' });
}
