// The troubleshooting page at /docs/errors, derived from the error catalogue: one entry per code with an anchor
// named after it, which the `Link: <…>; rel="help"` header of every JSON API error points at. Plain HTML, no scripts.
import { STATUS_CODES } from 'node:http';
import Router from '@koa/router';
import type { AppContext } from '../context.ts';
import {
  ERROR_CATALOGUE,
  ERROR_DOCS_PATH,
  OAUTH_ERROR_CATALOGUE,
  type CatalogueEntry,
  type ErrorCode,
  type OAuthErrorCode,
} from '../errors/catalogue.ts';
import { PAGE_SECURITY_HEADERS, renderView } from '../views.ts';

/** A placeholder request id for the example bodies. */
const EXAMPLE_REQUEST_ID = '0f8d5c2e-6b1a-4c9e-9d3f-2a7b4e1c8f60';

interface PageEntry {
  code: string;
  kind: string;
  status: number;
  statusText: string;
  message: string;
  title: string;
  description: string;
  causes: readonly string[];
  solutions: readonly string[];
  debugging: readonly string[];
  exampleBody: string;
}

export function errorDocsRouter(_app: AppContext): Router {
  const router = new Router();
  let page: Promise<string> | undefined;
  router.get(ERROR_DOCS_PATH, async (ctx) => {
    page ??= renderErrorsPage();
    ctx.set(PAGE_SECURITY_HEADERS);
    ctx.set('Cache-Control', 'public, max-age=300');
    ctx.type = 'html';
    ctx.body = await page;
  });
  return router;
}

export function renderErrorsPage(): Promise<string> {
  const apiEntries = (Object.keys(ERROR_CATALOGUE) as ErrorCode[]).map((code) => {
    const entry: CatalogueEntry = ERROR_CATALOGUE[code];
    const item = { code, message: entry.message, ...entry.example };
    return pageEntry(code, 'JSON API envelope', entry, { success: false, errors: [item], requestId: EXAMPLE_REQUEST_ID });
  });
  // Guide "OAuth2 Issues": RFC 6749 §5.2 bodies, exactly as the server sends them.
  const oauthEntries = (Object.keys(OAUTH_ERROR_CATALOGUE) as OAuthErrorCode[]).map((code) => {
    const entry: CatalogueEntry = OAUTH_ERROR_CATALOGUE[code];
    return pageEntry(code, 'OAuth 2.0', entry, { error: code, error_description: entry.message });
  });
  return renderView('error-docs', { title: 'Gatehouse error reference', entries: [...apiEntries, ...oauthEntries], inline });
}

function pageEntry(code: string, kind: string, entry: CatalogueEntry, body: object): PageEntry {
  return {
    code,
    kind,
    status: entry.status,
    statusText: STATUS_CODES[entry.status] ?? '',
    message: entry.message,
    title: entry.title,
    description: entry.description,
    causes: entry.causes,
    solutions: entry.solutions,
    debugging: entry.debugging ?? [],
    exampleBody: JSON.stringify(body, null, 2),
  };
}

/** Catalogue prose marks names with backticks, as the guide does: escaped text, backticked parts as <code>. */
function inline(text: string): string {
  return text
    .split('`')
    .map((part, i) => (i % 2 === 1 ? `<code>${escapeHtml(part)}</code>` : escapeHtml(part)))
    .join('');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
