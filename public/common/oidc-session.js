// Sign-in of a first-party browser app with the authorization code flow and PKCE (RFC 7636, S256) at Gatehouse's own
// /oauth2/authorize, token refresh (one at a time), and sign-out. Tokens live in this tab's sessionStorage only.

const b64url = (bytes) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const randomString = () => b64url(crypto.getRandomValues(new Uint8Array(32)));

async function s256(verifier) {
  return b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
}

export class SignInError extends Error {}

export class OidcSession {
  /** `basePath` is where the app lives (`/admin`); `key` names its sessionStorage entries. */
  constructor({ basePath, key }) {
    this.basePath = basePath;
    this.key = key;
    this.refreshing = null;
    this.listeners = new Set();
  }

  /** The tenant's sign-in configuration; also creates the tenant's client on first use. */
  async config(tenant) {
    const res = await fetch(`${this.basePath}/config?tenant=${encodeURIComponent(tenant)}`, { headers: { Accept: 'application/json' } });
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const requestId = body?.requestId ?? res.headers.get('X-Request-ID');
      throw new SignInError(
        res.status === 404 ? `There is no active tenant "${tenant}".` : `The tenant name is not valid (request ${requestId}).`,
      );
    }
    return body;
  }

  /** Leaves for the tenant's login pages; the browser comes back to `{basePath}/callback`. */
  async start(tenant, returnTo = '#/') {
    const config = await this.config(tenant);
    const verifier = randomString();
    const state = randomString();
    sessionStorage.setItem(`${this.key}.pending`, JSON.stringify({ config, verifier, state, returnTo }));
    const url = new URL(config.authorizationEndpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: config.clientId,
      redirect_uri: config.redirectUri,
      scope: config.scope,
      state,
      code_challenge: await s256(verifier),
      code_challenge_method: 'S256',
      // A console sign-in always asks for the password, so a shared browser's old session is not reused silently.
      prompt: 'login',
    }).toString();
    location.assign(url.href);
  }

  /** Finishes a sign-in on the callback page; returns the hash route to show. */
  async completeCallback(currentUrl) {
    const params = new URL(currentUrl).searchParams;
    const pending = JSON.parse(sessionStorage.getItem(`${this.key}.pending`) ?? 'null');
    sessionStorage.removeItem(`${this.key}.pending`);
    if (!pending || params.get('state') !== pending.state)
      throw new SignInError('This sign-in was not started here. Please sign in again.');
    if (params.get('error'))
      throw new SignInError(
        params.get('error') === 'access_denied' ? 'The sign-in was cancelled or refused.' : `Sign-in failed: ${params.get('error')}.`,
      );
    const tokens = await this.#tokenRequest(pending.config, {
      grant_type: 'authorization_code',
      code: params.get('code') ?? '',
      redirect_uri: pending.config.redirectUri,
      code_verifier: pending.verifier,
    });
    if (!tokens) throw new SignInError('The sign-in could not be completed. Please try again.');
    this.#store({ config: pending.config, ...tokens });
    return pending.returnTo;
  }

  /**
   * `resume`, with the sign-in screen shown instead when nobody is signed in (`signInScreen()`) or the sign-in that
   * just came back failed (`signInScreen(message, true)`): the live session, or null once the screen is shown.
   */
  async resumeOrSignIn(signInScreen) {
    let current;
    try {
      current = await this.resume();
    } catch (err) {
      signInScreen(err.message, true);
      return null;
    }
    if (!current) signInScreen();
    return current;
  }

  current() {
    return JSON.parse(sessionStorage.getItem(`${this.key}.tokens`) ?? 'null');
  }

  /**
   * At start-up: on the callback page, finishes the sign-in and moves to the route it started from (a failed one
   * throws, back at the app's root); then the live session, or null when nobody is signed in.
   */
  async resume() {
    if (location.pathname === `${this.basePath}/callback`) {
      try {
        const returnTo = await this.completeCallback(location.href);
        history.replaceState(null, '', `${this.basePath}/${returnTo}`);
      } catch (err) {
        history.replaceState(null, '', `${this.basePath}/`);
        throw err;
      }
    }
    return this.current();
  }

  /** Calls `listener(reason)` when the session ends (refresh refused, sign-out). */
  onEnd(listener) {
    this.listeners.add(listener);
  }

  /** A live access token, refreshed first when it expires within half a minute. */
  async accessToken() {
    const current = this.current();
    if (!current) return null;
    if (current.expiresAt - Date.now() > 30_000) return current.accessToken;
    return this.refresh();
  }

  /** Rotates the refresh token; every caller waiting at the same time shares one request. */
  refresh() {
    this.refreshing ??= (async () => {
      const current = this.current();
      if (!current?.refreshToken) return this.end('Your session has ended. Please sign in again.');
      const tokens = await this.#tokenRequest(current.config, { grant_type: 'refresh_token', refresh_token: current.refreshToken });
      if (!tokens) return this.end('Your session has ended. Please sign in again.');
      this.#store({ config: current.config, idToken: current.idToken, ...tokens });
      return tokens.accessToken;
    })().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  /** Forgets the tokens of this tab and tells the listeners why. */
  end(reason) {
    sessionStorage.removeItem(`${this.key}.tokens`);
    for (const listener of this.listeners) listener(reason);
    return null;
  }

  /**
   * Ends the Gatehouse session (its refresh tokens die at once), then asks the login pages to sign the browser out
   * too (RP-initiated logout), which brings the person back to the app.
   */
  async signOut() {
    const current = this.current();
    sessionStorage.removeItem(`${this.key}.tokens`);
    if (!current) return;
    await fetch('/api/v1/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${current.accessToken}` } }).catch(
      () => undefined,
    );
    const url = new URL(current.config.endSessionEndpoint);
    url.search = new URLSearchParams({
      client_id: current.config.clientId,
      post_logout_redirect_uri: current.config.postLogoutRedirectUri,
      ...(current.idToken && { id_token_hint: current.idToken }),
    }).toString();
    location.assign(url.href);
  }

  async #tokenRequest(config, form) {
    const res = await fetch(config.tokenEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({ client_id: config.clientId, ...form }),
    });
    if (!res.ok) return null;
    const body = await res.json();
    return {
      accessToken: body.access_token,
      refreshToken: body.refresh_token,
      ...(body.id_token && { idToken: body.id_token }),
      expiresAt: Date.now() + body.expires_in * 1000,
    };
  }

  #store(tokens) {
    sessionStorage.setItem(`${this.key}.tokens`, JSON.stringify(tokens));
  }
}
