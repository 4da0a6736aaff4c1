// RP-initiated logout pages: the confirmation form oidc-provider hands us, and the "signed out" page.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { cspOrigin, pageSecurityHeaders } from '../views.ts';
import { renderView } from '../views.ts';

export async function logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  // The confirmation posts to our origin and then redirects to the post_logout_redirect_uri the library has just
  // matched against the client's registration; Chromium checks that redirect against form-action too.
  const target = cspOrigin(ctx.oidc.params?.post_logout_redirect_uri as string | undefined);
  ctx.set(pageSecurityHeaders(target ? [target] : []));
  ctx.type = 'html';
  ctx.body = await renderView('logout', { title: 'Sign out', form, clientName: ctx.oidc.client?.clientName ?? null });
}

export async function postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void> {
  ctx.type = 'html';
  ctx.body = await renderView('logged-out', { title: 'Signed out', clientName: ctx.oidc.client?.clientName ?? null });
}
