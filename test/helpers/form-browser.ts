// Drives the login pages over real HTTP the way a browser without JavaScript does: follows redirects by hand,
// keeps cookies, reads hidden fields and submits forms.

export class FormBrowser {
  readonly #cookies = new Map<string, string>();

  /** A cookie's current value (e.g. to check it is stored nowhere in clear). */
  cookie(name: string): string | undefined {
    return this.#cookies.get(name);
  }

  async get(url: string): Promise<Response> {
    return this.#send(url, { method: 'GET' });
  }

  async post(url: string, fields: Record<string, string>): Promise<Response> {
    return this.#send(url, {
      method: 'POST',
      body: new URLSearchParams(fields),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
  }

  /** Follows redirects from `url` until a page answers or the location leaves `origin` (the client's callback). */
  async follow(url: string, origin: string, first?: Response): Promise<{ url: string; res: Response }> {
    let current = url;
    let res = first ?? (await this.get(url));
    for (let hops = 0; hops < 20 && res.status >= 300 && res.status < 400; hops += 1) {
      current = new URL(res.headers.get('location') as string, current).toString();
      if (!current.startsWith(origin)) return { url: current, res };
      res = await this.get(current);
    }
    return { url: current, res };
  }

  async #send(url: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('Accept', 'text/html');
    if (this.#cookies.size > 0) headers.set('Cookie', [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = (pair as string).indexOf('=');
      const name = (pair as string).slice(0, eq);
      const value = (pair as string).slice(eq + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return res;
  }
}

export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match?.[1]) throw new Error(`no hidden field ${name} in page:\n${html.slice(0, 500)}`);
  return match[1];
}

export function formAction(html: string, pathPart: string): string {
  const match = new RegExp(`action="([^"]*${pathPart}[^"]*)"`).exec(html);
  if (!match?.[1]) throw new Error(`no form posting to ${pathPart}`);
  return match[1];
}
