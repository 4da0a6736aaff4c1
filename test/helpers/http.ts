// Small HTTP helpers for tests.

/** The parsed JSON body, typed loosely for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function readJson(res: Response): Promise<any> {
  return res.json();
}

export interface ApiCallOptions {
  body?: unknown;
  tenant?: string;
  token?: string;
  headers?: Record<string, string>;
}

/** Calls the JSON auth API of a server: `api('POST', '/login', { tenant, body })`. */
export function authApi(baseUrl: () => string) {
  return jsonApi(baseUrl, '/api/v1/auth');
}

/** Calls the admin API of a server: `api('GET', '/users', { token, tenant })`. */
export function adminApi(baseUrl: () => string) {
  return jsonApi(baseUrl, '/api/v1/admin');
}

function jsonApi(baseUrl: () => string, prefix: string) {
  return async (method: string, path: string, options: ApiCallOptions = {}) => {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', ...options.headers };
    if (options.tenant) headers['X-Tenant-ID'] = options.tenant;
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    const res = await fetch(`${baseUrl()}${prefix}${path}`, {
      method,
      headers,
      ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const body: any = await readJson(res);
    return { status: res.status, body, headers: res.headers };
  };
}

/** The `Link` header of a JSON API error: each code's entry on the troubleshooting page (RFC 8288 rel="help"). */
export function helpLinks(publicUrl: string, codes: string[]): string {
  return codes.map((code) => `<${publicUrl}/docs/errors#${code}>; rel="help"`).join(', ');
}
