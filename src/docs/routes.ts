// The API docs under /api/v1/auth/docs (routes of the /api/v1/auth group): the OpenAPI document, the Postman collection (the path the guide
// gives) and a readable HTML reference (Swagger UI, served from the swagger-ui-dist package, no CDN).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { AppContext } from '../context.ts';
import { AppError } from '../errors/app-error.ts';
import { defineRoute, type RouteGroup, type RouteSpec } from '../api/route-spec.ts';
import { buildOpenApiDocument, type DocsInfo } from './openapi.ts';
import { buildPostmanCollection } from './postman.ts';

const DOCS_PATH = '/api/v1/auth/docs';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

// Swagger UI is started by an external script: the page's CSP allows no inline script.
const INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({ url: '${DOCS_PATH}/openapi.json', dom_id: '#swagger-ui', deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: 'StandaloneLayout' });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Gatehouse API reference</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="${DOCS_PATH}/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="${DOCS_PATH}/assets/favicon-32x32.png">
</head>
<body>
  <noscript>This reference needs JavaScript. The same content: <a href="${DOCS_PATH}/openapi.json">openapi.json</a>;
  error codes: <a href="/docs/errors">/docs/errors</a>.</noscript>
  <div id="swagger-ui"></div>
  <script src="${DOCS_PATH}/assets/swagger-ui-bundle.js"></script>
  <script src="${DOCS_PATH}/assets/swagger-ui-standalone-preset.js"></script>
  <script src="${DOCS_PATH}/assets/init.js"></script>
</body>
</html>
`;

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/** `groups` is read on first use: the documents describe every group, this one included. */
export function docsRoutes(app: AppContext, groups: () => RouteGroup[]): RouteSpec[] {
  const info: DocsInfo = { publicUrl: app.config.publicUrl, version: VERSION };
  let openApi: unknown;
  let postman: unknown;
  return [
    defineRoute({
      method: 'get',
      path: '/docs',
      name: 'apiReference',
      summary: 'This reference, as a readable HTML page',
      auth: 'none',
      contentType: 'text/html',
      handler: async (ctx) => {
        ctx.set('Content-Security-Policy', CSP);
        ctx.type = 'text/html; charset=utf-8';
        ctx.body = PAGE;
        return undefined;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/docs/openapi.json',
      name: 'openApiDocument',
      summary: 'The OpenAPI 3.1 document of /api/v1',
      auth: 'none',
      contentType: 'application/json',
      handler: async (ctx) => {
        ctx.body = openApi ??= buildOpenApiDocument(groups(), info);
        return undefined;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/docs/postman/complete.json',
      name: 'postmanCollection',
      summary: 'The Postman v2.1 collection of /api/v1 (guide: "Postman Collection")',
      auth: 'none',
      contentType: 'application/json',
      handler: async (ctx) => {
        ctx.body = postman ??= buildPostmanCollection(groups(), info);
        return undefined;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/docs/assets/:file',
      name: 'apiReferenceAsset',
      summary: "The HTML reference's scripts and styles",
      auth: 'none',
      params: z.object({ file: z.string().max(100) }),
      contentType: 'application/octet-stream',
      errors: ['NOT_FOUND'],
      handler: async (ctx, { params }) => {
        ctx.set('Cache-Control', 'public, max-age=86400');
        if (params.file === 'init.js') {
          ctx.type = 'text/javascript; charset=utf-8';
          ctx.body = INIT_SCRIPT;
          return undefined;
        }
        const type = Object.hasOwn(ASSETS, params.file) ? ASSETS[params.file] : undefined;
        if (!type) throw new AppError('NOT_FOUND', { detail: `no docs asset ${params.file}` });
        ctx.type = type;
        ctx.body = await readFile(join(SWAGGER_UI_DIR, params.file));
        return undefined;
      },
    }),
  ];
}
