// Request paths as oidc-provider's router matches them (lib/helpers/router.js): letters in any case, and one trailing
// slash. Our middleware in front of its routes must match the same way, or `/OAuth2/Authorize/` would reach the
// endpoint without passing through it.

/** Whether `path` (ctx.path) names the provider route `route`. */
export function isRoutePath(path: string, route: string): boolean {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.length === route.length && trimmed.toUpperCase() === route.toUpperCase();
}
