// RP-initiated logout pages: the confirmation form oidc-provider hands us, and the "signed out" page.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { renderView } from '../views.ts';

export async function logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  ctx.type = 'html';
  ctx.body = await renderView('logout', { title: 'Sign out', form, clientName: ctx.oidc.client?.clientName ?? null });
}

export async function postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void> {
  ctx.type = 'html';
  ctx.body = await renderView('logged-out', { title: 'Signed out', clientName: ctx.oidc.client?.clientName ?? null });
}
