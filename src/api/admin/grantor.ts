// The admin caller as the services see a grantor (docs/security.md, "Permissions and escalation").
import type { Context } from 'koa';
import type { AdminState } from '../../http/koa-admin-auth.ts';
import type { Grantor } from '../../services/permissions.ts';

/** What the caller holds in the target tenant, and the user behind it (none for a client token). */
export function grantorOf(ctx: Context): Grantor {
  const admin = ctx.state.admin as AdminState;
  return { permissions: admin.permissions, userId: admin.actor.type === 'user' ? admin.actor.id : undefined };
}
