// Admin API test helpers: tokens of real users signed in through the JSON API, and a caller for
// /api/v1/admin with the tenant header and bearer token.
import { makeUser } from './fixtures.ts';
import { authApi, readJson } from './http.ts';
import type { TestServer } from './test-server.ts';

export interface AdminCallOptions {
  body?: unknown;
  tenant?: string;
  token?: string;
  headers?: Record<string, string>;
}

export function adminApi(baseUrl: () => string) {
  return async (method: string, path: string, options: AdminCallOptions = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.tenant) headers['X-Tenant-ID'] = options.tenant;
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    const res = await fetch(`${baseUrl()}/api/v1/admin${path}`, {
      method,
      headers,
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const body: any = await readJson(res);
    return { status: res.status, body, headers: res.headers };
  };
}

/** Creates a user with these roles and signs them in through the JSON API; returns their access token. */
export async function signedInUser(server: TestServer, tenantId: string, email: string, roles: string[]) {
  const user = await makeUser(server.ctx, tenantId, email, 'correct horse battery', roles);
  const res = await authApi(() => server.url)('POST', '/login', {
    tenant: tenantId,
    body: { usernameOrEmail: email, password: user.password },
  });
  if (res.status !== 200) throw new Error(`sign-in of ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { user, token: res.body.data.accessToken as string, refreshToken: res.body.data.refreshToken as string };
}
