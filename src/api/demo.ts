// Development only: the demo client's redirect target, so a newcomer sees the code and how to redeem it.
import Router from '@koa/router';
import type { AppContext } from '../context.ts';
import { DEMO_CALLBACK_PATH } from '../services/demo.ts';
import { renderView } from '../views.ts';

export function demoRouter(app: AppContext): Router {
  const router = new Router();
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
