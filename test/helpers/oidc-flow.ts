// Signs a person in through the login pages (and consent, when shown) and returns the client's callback URL.
import * as oidc from 'openid-client';
import { FormBrowser, formAction, hiddenField } from './form-browser.ts';

export interface SignInOptions {
  /** Where the browser talks to Gatehouse (one process of several, say). */
  baseUrl: string;
  rp: oidc.Configuration;
  redirectUri: string;
  login: string;
  password: string;
  scope?: string;
  browser?: FormBrowser;
  /** More authorization request parameters (`resource`, `prompt`, …). */
  params?: Record<string, string>;
  /** Called with the consent page's HTML, when one is shown, before it is approved. */
  onConsentPage?: (html: string) => void;
  /** Rewrites the authorization URL before the browser follows it (a repeated parameter, say). */
  authorizationUrl?: (url: string) => string;
  /** Builds the authorization URL (PAR, request objects, extra parameters); by default a plain code flow with PKCE. */
  authorize?: (pkce: { verifier: string; challenge: string; state: string }) => Promise<string>;
}

export interface SignInResult {
  callback: URL;
  browser: FormBrowser;
  verifier: string;
  state: string;
}

export async function authorizeUrl(
  options: Pick<SignInOptions, 'rp' | 'redirectUri' | 'scope' | 'params'>,
  verifier: string,
  state: string,
): Promise<string> {
  return oidc.buildAuthorizationUrl(options.rp, {
    redirect_uri: options.redirectUri,
    scope: options.scope ?? 'openid email profile offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...options.params,
  }).href;
}

/** Fills the login form; resolves with the page or redirect that follows. */
export async function submitLogin(
  browser: FormBrowser,
  baseUrl: string,
  loginPage: string,
  login: string,
  password: string,
): Promise<Response> {
  return browser.post(new URL(formAction(loginPage, '/login'), baseUrl).href, {
    csrf: hiddenField(loginPage, 'csrf'),
    usernameOrEmail: login,
    password,
  });
}

export async function signInThroughPages(options: SignInOptions): Promise<SignInResult> {
  const browser = options.browser ?? new FormBrowser();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const built = options.authorize
    ? await options.authorize({ verifier, challenge: await oidc.calculatePKCECodeChallenge(verifier), state })
    : await authorizeUrl(options, verifier, state);
  const start = (options.authorizationUrl ? options.authorizationUrl(built) : built).replace(/^https?:\/\/[^/]+/, options.baseUrl);
  let step = await browser.follow(start, options.baseUrl);
  if (step.res.status === 200) {
    const page = await step.res.text();
    if (page.includes('name="usernameOrEmail"')) {
      const posted = await submitLogin(browser, options.baseUrl, page, options.login, options.password);
      if (posted.status !== 303) throw new Error(`login refused (${posted.status})`);
      step = await browser.follow(new URL(posted.headers.get('location') as string, options.baseUrl).href, options.baseUrl);
    } else {
      step = { ...step, res: new Response(page, { status: 200 }) };
    }
  }
  if (step.res.status === 200) {
    let page = await step.res.text();
    // Another account was signed in on this browser: oidc-provider first logs it out through a self-submitting
    // form (its <noscript> button is what a browser without JavaScript presses).
    const logout = /<form method="post" action="([^"]+\/logout\/confirm)">/.exec(page);
    if (logout?.[1]) {
      const confirmed = await browser.post(logout[1].replace(/^https?:\/\/[^/]+/, options.baseUrl), {
        xsrf: hiddenField(page, 'xsrf'),
        logout: 'yes',
      });
      step = await browser.follow(new URL(confirmed.headers.get('location') as string, options.baseUrl).href, options.baseUrl);
      page = step.res.status === 200 ? await step.res.text() : '';
    }
    step = { ...step, res: new Response(page, { status: step.res.status }) };
  }
  if (step.res.status === 200) {
    const consent = await step.res.text();
    if (!consent.includes('/consent')) throw new Error(`unexpected page:\n${consent.slice(0, 800)}`);
    options.onConsentPage?.(consent);
    const approved = await browser.post(new URL(formAction(consent, '/consent'), options.baseUrl).href, {
      csrf: hiddenField(consent, 'csrf'),
    });
    step = await browser.follow(new URL(approved.headers.get('location') as string, options.baseUrl).href, options.baseUrl);
  }
  if (!step.url.startsWith(options.redirectUri)) throw new Error(`did not reach the client: ${step.url} (${step.res.status})`);
  return { callback: new URL(step.url), browser, verifier, state };
}

/** openid-client's configuration for a client of the test server (plain http is allowed on loopback). */
export function discoverRp(baseUrl: string, clientId: string, clientSecret?: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(baseUrl), clientId, clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
}
