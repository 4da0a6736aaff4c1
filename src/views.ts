// Renders the server-side pages in views/ (ejs, HTML-escaped by default).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';

const VIEWS_DIR = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'views');

export function renderView(name: string, data: Record<string, unknown>): Promise<string> {
  return ejs.renderFile(join(VIEWS_DIR, `${name}.ejs`), data, { async: true, cache: process.env.NODE_ENV === 'production' });
}
