// Admin API test helpers: tokens of real users signed in through the JSON API (the caller is adminApi in http.ts).
import { makeUser } from './fixtures.ts';
import { authApi } from './http.ts';
import type { TestServer } from './test-server.ts';

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
