// The declared-response check every route runs under NODE_ENV=test (after Logto's koa-guard): an answer with a
// field its schema lacks, without one it declares, or with an undeclared status fails loudly, through a real
// Koa server.
import Koa from 'koa';
import { z } from 'zod';
import { assertDeclaredResponse, defineRoute, mountRouteGroup } from '../../src/api/route-spec.ts';
import { koaErrorEnvelope } from '../../src/http/koa-error-envelope.ts';
import { koaRequestId } from '../../src/http/koa-request-id.ts';
import { createLogger } from '../../src/logger.ts';

const spec = (handler: () => Promise<unknown>) =>
  defineRoute({
    method: 'get',
    path: '/thing',
    name: 'getThing',
    summary: 'A thing',
    auth: 'none',
    response: z.object({ id: z.string(), at: z.iso.datetime() }),
    handler,
  });

it('accepts an answer exactly as declared, dates as they go out in JSON', () => {
  expect(() =>
    assertDeclaredResponse(
      spec(async () => undefined),
      200,
      { success: true, data: { id: 'a', at: new Date() } },
    ),
  ).not.toThrow();
});

it('refuses an undeclared field, a missing one and an undeclared status', () => {
  const s = spec(async () => undefined);
  expect(() => assertDeclaredResponse(s, 200, { success: true, data: { id: 'a', at: new Date(), secret: 'x' } })).toThrow(
    /getThing answered fields its response does not declare/,
  );
  expect(() => assertDeclaredResponse(s, 200, { success: true, data: { id: 'a' } })).toThrow(/getThing answered outside/);
  expect(() => assertDeclaredResponse(s, 201, { success: true, data: { id: 'a', at: new Date() } })).toThrow(/undeclared status 201/);
});

it('a drifting handler answers 500 when the check is on, and its declared answer when off', async () => {
  const drifting = spec(async () => ({ id: 'a', at: new Date(), passwordHash: 'oops' }));
  const serve = async (checkResponses: boolean) => {
    const app = new Koa();
    app.use(koaRequestId(createLogger({ logLevel: 'silent' })));
    app.use(koaErrorEnvelope('http://localhost'));
    const router = mountRouteGroup(
      { prefix: '/api', tag: 'Test', routes: [drifting] },
      { user: async () => {}, admin: () => async () => {} },
      [],
      {
        checkResponses,
      },
    );
    app.use(router.routes());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/thing`);
      return { status: res.status, code: ((await res.json()) as { errors?: Array<{ code: string }> }).errors?.[0]?.code };
    } finally {
      server.close();
    }
  };
  expect(await serve(true)).toEqual({ status: 500, code: 'INTERNAL_ERROR' });
  expect(await serve(false)).toEqual({ status: 200, code: undefined });
});
