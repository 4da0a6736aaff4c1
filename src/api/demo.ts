// Development only: a landing page at / with the links a newcomer needs, and the demo client's redirect target, so
// a newcomer sees the code and how to redeem it.
import Router from '@koa/router';
import type { AppContext } from '../context.ts';
import { DEMO_CALLBACK_PATH, demoSignInUrl } from '../services/demo.ts';
import { PAGE_SECURITY_HEADERS, renderView } from '../views.ts';

export function demoRouter(app: AppContext): Router {
  const router = new Router();
  router.get('/', async (ctx) => {
    ctx.set(PAGE_SECURITY_HEADERS);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = await renderView('landing', { title: 'Gatehouse', wide: false, signInUrl: await demoSignInUrl(app) });
  });
  router.get(DEMO_CALLBACK_PATH, async (ctx) => {
    const code = typeof ctx.query.code === 'string' ? ctx.query.code : null;
    const error = typeof ctx.query.error === 'string' ? ctx.query.error : null;
    ctx.set('Cache-Control', 'no-store');
    ctx.type = 'html';
    ctx.body = await renderView('demo-callback', {
      title: 'Demo App',
      code,
      error,
      tokenUrl: `${app.config.publicUrl}/oauth2/token`,
      redirectUri: `${app.config.publicUrl}${DEMO_CALLBACK_PATH}`,
    });
  });
  return router;
}
