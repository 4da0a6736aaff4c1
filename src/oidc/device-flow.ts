// The device authorization grant (RFC 8628) on oidc-provider's deviceFlow: our pages for entering and confirming
// the user code (the login and consent in between are the usual interaction pages), the polling interval in the
// device authorization response, and `slow_down` for a client that polls faster than it (RFC 8628 §3.5).
import type { Middleware } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AppContext } from '../context.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../services/clients.ts';
import { hashTokenId } from '../services/secrets.ts';
import { pageSecurityHeaders, renderView } from '../views.ts';
import { isRoutePath } from './route-path.ts';

/** RFC 8628 §3.5: each slow_down adds five seconds to the interval, for this and every later request. */
const SLOW_DOWN_STEP_SECONDS = 5;

/** Why the code page is shown again, in the person's words; the library's error names stay out of the page. */
const CODE_MESSAGES: Record<string, string> = {
  NoCodeError: 'Enter the code your device shows.',
  NotFoundError: 'That code is not valid. Check it against your device and try again.',
  ExpiredError: 'That code has expired. Start again on your device to get a new one.',
  AlreadyUsedError: 'That code has already been used. Start again on your device to get a new one.',
  AbortedError: 'The sign-in was cancelled. Your device was not connected.',
};

/** A wrong, expired or spent code: a failed attempt, counted by the sign-in limiter per address (http/koa-abuse.ts). */
const FAILED_CODE = new Set(['NotFoundError', 'ExpiredError', 'AlreadyUsedError']);

const xsrfOf = (ctx: KoaContextWithOIDC) => String((ctx.oidc.session?.state as { secret?: string } | undefined)?.secret ?? '');

type DeviceInfo = { ip?: string; ua?: string } | undefined;

/** The code of a verification_uri_complete link, shown in the form for the person to submit (see prefillUserCode). */
const prefilled = new WeakMap<object, string>();

async function userCodeInputSource(ctx: KoaContextWithOIDC, _form: string, _out?: unknown, err?: Error & { userCode?: string }) {
  const name = err?.name ?? '';
  ctx.set(pageSecurityHeaders());
  ctx.type = 'html';
  if (FAILED_CODE.has(name)) ctx.status = 401;
  else if (name === 'NoCodeError') ctx.status = 400;
  else if (err && !CODE_MESSAGES[name]) ctx.status = (err as { statusCode?: number }).statusCode ?? 400;
  ctx.body = await renderView('device-code', {
    title: 'Connect a device',
    action: ctx.oidc.urlFor('code_verification'),
    xsrf: xsrfOf(ctx),
    userCode: err?.userCode ?? prefilled.get(ctx) ?? '',
    error: err ? (CODE_MESSAGES[name] ?? 'Something went wrong. Start again on your device.') : null,
  });
}

async function userCodeConfirmSource(
  ctx: KoaContextWithOIDC,
  _form: string,
  client: { clientId: string; clientName?: string },
  deviceInfo: DeviceInfo,
  userCode: string,
) {
  ctx.set(pageSecurityHeaders());
  ctx.type = 'html';
  ctx.body = await renderView('device-confirm', {
    title: 'Connect a device',
    action: ctx.oidc.urlFor('code_verification'),
    xsrf: xsrfOf(ctx),
    userCode,
    clientName: client.clientName ?? client.clientId,
    requestedFrom: deviceInfo?.ip ?? null,
  });
}

async function successSource(ctx: KoaContextWithOIDC) {
  ctx.set(pageSecurityHeaders());
  ctx.type = 'html';
  ctx.body = await renderView('device-done', { title: 'Device connected', clientName: ctx.oidc.client?.clientName ?? null });
}

/** The `features.deviceFlow` configuration (DEVICE_FLOW turns it off: no endpoint, nothing in discovery). */
export function deviceFlowFeature(app: AppContext) {
  return {
    enabled: app.config.deviceFlow.enabled,
    // RFC 8628 §6.1: 20 consonants, 8 characters (about 34 bits), case-insensitive, dash for readability.
    charset: 'base-20' as const,
    mask: '****-****',
    deviceInfo: (ctx: KoaContextWithOIDC) => ({ ip: ctx.ip, ua: ctx.get('user-agent') }),
    userCodeInputSource,
    userCodeConfirmSource,
    successSource,
  };
}

/**
 * verification_uri_complete (RFC 8628 §3.3.1) opens the code page with the code filled in; the person still presses
 * Continue and then confirms (§5.4: a link alone must not connect a device). The library would answer with a
 * self-submitting form instead, whose inline script our pages' policy does not run.
 */
export function prefillUserCode(path: string): Middleware {
  return async (ctx, next) => {
    const code = ctx.method === 'GET' && isRoutePath(ctx.path, path) ? ctx.query.user_code : undefined;
    if (typeof code === 'string') {
      prefilled.set(ctx, code.slice(0, 32));
      ctx.querystring = '';
    }
    await next();
  };
}

/** Keyed like every stored secret id (docs/security.md, "Tokens at rest"): the device code never appears in Redis. */
const pollKey = (secretKey: string, clientId: string, deviceCode: string) =>
  `device-poll:${hashTokenId(secretKey, `${clientId}:${deviceCode}`)}`;

/**
 * RFC 8628 §3.2 and §3.5 for the provider's token and device authorization endpoints: the device authorization
 * response names the polling interval, and a poll of a pending code that comes sooner than the interval after the
 * previous one answers `slow_down` instead of `authorization_pending`, the interval growing by five seconds.
 */
export function devicePollingPace(app: AppContext): Middleware {
  const { intervalSeconds } = app.config.deviceFlow;
  const ttlSeconds = app.config.deviceFlow.codeTtlSeconds;
  return async (koaCtx, next) => {
    await next();
    const ctx = koaCtx as unknown as KoaContextWithOIDC;
    const route = ctx.oidc?.route;
    if (route === 'device_authorization' && ctx.status === 200 && typeof ctx.body === 'object' && ctx.body) {
      ctx.body = { ...(ctx.body as Record<string, unknown>), interval: intervalSeconds };
      return;
    }
    if (route !== 'token' || ctx.oidc.params?.grant_type !== DEVICE_CODE_GRANT_TYPE) return;
    if ((ctx.body as { error?: string } | undefined)?.error !== 'authorization_pending') return;
    const clientId = ctx.oidc.client?.clientId;
    const deviceCode = ctx.oidc.params?.device_code;
    if (!clientId || typeof deviceCode !== 'string') return;
    const key = pollKey(app.config.secretKey, clientId, deviceCode);
    const interval = Number((await app.store.get(`${key}:interval`)) ?? intervalSeconds);
    if (await app.store.setIfAbsent(key, '1', interval)) return;
    const slower = interval + SLOW_DOWN_STEP_SECONDS;
    await Promise.all([app.store.set(`${key}:interval`, String(slower), ttlSeconds), app.store.set(key, '1', slower)]);
    ctx.body = { error: 'slow_down', error_description: 'you are polling too quickly and should back off at a reasonable rate' };
  };
}
