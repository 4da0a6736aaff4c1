// Request paths as oidc-provider's router matches them (lib/helpers/router.js): letters in any case, and one trailing
// slash. Our middleware in front of its routes must match the same way, or `/OAuth2/Authorize/` would reach the
// endpoint without passing through it.

/** The form in which two paths that the provider's router takes for one route are equal. */
export function routeKey(path: string): string {
  return (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).toUpperCase();
}

/** Whether `path` (ctx.path) names the provider route `route`. */
export function isRoutePath(path: string, route: string): boolean {
  return routeKey(path) === route.toUpperCase();
}
