// Admin routes for OAuth clients and initial access tokens (issue 7).
import type { AppContext } from '../../context.ts';
import type { OidcRuntime } from '../../oidc/index.ts';
import type { RouteSpec } from '../route-spec.ts';

export function clientRoutes(_app: AppContext, _oidc: OidcRuntime): RouteSpec[] {
  return [];
}
