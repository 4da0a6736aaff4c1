// The OpenAPI 3.1 document of /api/v1, generated from the declared routes: their zod schemas (JSON Schema
// 2020-12 through zod's own toJSONSchema), guards, success shapes and every error code each can answer.
import { z } from 'zod';
import { ERROR_CATALOGUE, type ErrorCode } from '../errors/catalogue.ts';
import { errorsOf, type RouteGroup, type RouteSpec } from '../api/route-spec.ts';

type JsonSchema = Record<string, unknown>;

export interface DocsInfo {
  publicUrl: string;
  version: string;
}

/** A zod schema as JSON Schema 2020-12 (what OpenAPI 3.1 uses), requests as input and answers as output. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  return rest;
}

/** `/users/:userId` → `/users/{userId}` */
export const openApiPath = (koaPath: string) => koaPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export function buildOpenApiDocument(groups: RouteGroup[], info: DocsInfo) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const group of groups) {
    for (const spec of group.routes) {
      (paths[openApiPath(group.prefix + spec.path)] ??= {})[spec.method] = operation(group, spec);
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse API',
      version: info.version,
      description:
        'The first-party JSON auth API (`/api/v1/auth`) and the admin API (`/api/v1/admin`) of Gatehouse. ' +
        'Every error answers `{"success":false,"errors":[{code,message,field?,constraint?}],"requestId"}`; ' +
        `each code is explained at ${info.publicUrl}/docs/errors. The OAuth 2.0 / OpenID Connect endpoints are ` +
        `described by ${info.publicUrl}/.well-known/openid-configuration.`,
    },
    servers: [{ url: info.publicUrl }],
    tags: [...new Set(groups.map((g) => g.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Gatehouse access token (RFC 9068)' },
      },
      parameters: {
        TenantId: {
          name: 'X-Tenant-ID',
          in: 'header',
          required: false,
          description: 'The tenant (slug). Or use the subdomain `{tenant}.{TENANT_DOMAIN}` when the server has TENANT_DOMAIN set.',
          schema: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$' },
        },
      },
      schemas: {
        ErrorItem: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string', enum: Object.keys(ERROR_CATALOGUE) },
            message: { type: 'string' },
            field: { type: 'string' },
            constraint: { type: 'string' },
          },
        },
        ErrorEnvelope: {
          type: 'object',
          required: ['success', 'errors', 'requestId'],
          properties: {
            success: { const: false },
            errors: { type: 'array', minItems: 1, items: { $ref: '#/components/schemas/ErrorItem' } },
            requestId: { type: 'string' },
          },
        },
      },
    },
  };
}

function operation(group: RouteGroup, spec: RouteSpec) {
  const codes = errorsOf(spec);
  const guard = spec.auth === 'admin' ? adminNote(spec) : spec.auth === 'user' ? 'Needs the bearer access token of a signed-in user.' : '';
  return {
    operationId: spec.name,
    tags: [group.tag],
    summary: spec.summary,
    description: [spec.description, guard].filter(Boolean).join('\n\n') || undefined,
    ...(spec.permission && { 'x-permission': spec.permission }),
    'x-error-codes': codes,
    security: spec.auth === 'none' ? [] : [{ bearerAuth: [] }],
    parameters: [
      ...(spec.contentType ? [] : [{ $ref: '#/components/parameters/TenantId' }]),
      ...parameters(spec.params, 'path'),
      ...parameters(spec.query, 'query'),
    ],
    ...(spec.body && {
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: jsonSchema(spec.body, 'input'), ...(spec.example !== undefined && { example: spec.example }) },
        },
      },
    }),
    responses: responses(spec, codes),
  };
}

function adminNote(spec: RouteSpec): string {
  const who = spec.platformOnly ? 'a platform operator (a user or client of the `platform` tenant)' : 'an admin token';
  return `Needs ${who}${spec.permission ? ` holding \`${spec.permission}\`` : ''}; X-Tenant-ID names the target tenant (default: the token's).`;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query') {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>).map(([name, field]) => ({
    name,
    in: where,
    required: where === 'path' || !field.safeParse(undefined).success,
    schema: jsonSchema(field, 'input'),
  }));
}

interface ResponseObject {
  description: string;
  headers?: Record<string, unknown>;
  content: Record<string, { schema: JsonSchema; examples?: Record<string, { value: unknown }> }>;
}

function responses(spec: RouteSpec, codes: ErrorCode[]) {
  const out: Record<string, ResponseObject> = {};
  const successSchema = spec.response ? jsonSchema(spec.response, 'output') : {};
  out[String(spec.status ?? 200)] = spec.contentType
    ? { description: 'OK', content: { [spec.contentType]: { schema: successSchema } } }
    : {
        description: 'OK',
        content: {
          'application/json': {
            schema: { type: 'object', required: ['success', 'data'], properties: { success: { const: true }, data: successSchema } },
          },
        },
      };
  for (const other of spec.otherResponses ?? []) {
    out[String(other.status)] = {
      description: other.description,
      content: { 'application/json': { schema: jsonSchema(other.body, 'output') } },
    };
  }
  const byStatus = new Map<number, ErrorCode[]>();
  const add = (status: number, code: ErrorCode) => byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  for (const code of codes) add(ERROR_CATALOGUE[code].status, code);
  for (const [code, status] of Object.entries(spec.errorStatus ?? {}) as Array<[ErrorCode, number]>) add(status, code);
  for (const [status, statusCodes] of byStatus) {
    const examples = Object.fromEntries(
      statusCodes.map((code) => [
        code,
        { value: { success: false, errors: [{ code, message: ERROR_CATALOGUE[code].message }], requestId: 'a1b2c3d4-request-id' } },
      ]),
    );
    const envelope = { $ref: '#/components/schemas/ErrorEnvelope' };
    const existing = out[String(status)];
    const description = statusCodes.join(', ');
    if (existing) {
      const json = existing.content['application/json'];
      if (!json) continue;
      existing.description = `${existing.description}; or ${description}`;
      json.schema = { oneOf: [json.schema, envelope] };
      json.examples = examples;
    } else {
      out[String(status)] = {
        description,
        ...(status === 429 && {
          headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } },
        }),
        content: { 'application/json': { schema: envelope, examples } },
      };
    }
  }
  return out;
}
