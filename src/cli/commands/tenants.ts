// gatehouse tenant create|suspend|activate
import { CLI_ACTOR } from '../../services/audit.ts';
import { createTenant, RATE_LIMIT_CLASSES, setTenantStatus } from '../../services/tenants.ts';
import type { Tenant } from '../../db/queries/tenants.ts';
import { optionalInt, requireString, UsageError, type Command } from '../command.ts';

/** `--rate-limit login=5/60` → `{ login: { points: 5, duration: 60 } }`. */
function parseRateLimits(flags: string[] | undefined): Record<string, { points: number; duration: number }> | undefined {
  if (!flags) return undefined;
  const limits: Record<string, { points: number; duration: number }> = {};
  for (const flag of flags) {
    const match = /^([A-Za-z]+)=(\d+)\/(\d+)$/.exec(flag);
    if (!match)
      throw new UsageError(`--rate-limit must look like CLASS=POINTS/SECONDS, e.g. login=5/60 (one of ${RATE_LIMIT_CLASSES.join(', ')})`);
    limits[match[1] as string] = { points: Number(match[2]), duration: Number(match[3]) };
  }
  return limits;
}

const present = (t: Tenant) => ({
  id: t.id,
  name: t.name,
  status: t.status,
  sessionLimit: t.sessionLimit,
  sessionStrategy: t.sessionStrategy,
  mfaPolicy: t.mfaPolicy,
  rateLimits: t.rateLimits,
  createdAt: t.createdAt,
});

export const tenantCreate: Command = {
  name: 'tenant create',
  usage:
    'tenant create --id SLUG --name NAME [--session-limit N] [--session-strategy reject|evict_oldest] [--mfa off|optional|required] [--rate-limit CLASS=POINTS/SECONDS]...',
  options: {
    id: { type: 'string' },
    name: { type: 'string' },
    'session-limit': { type: 'string' },
    'session-strategy': { type: 'string' },
    mfa: { type: 'string' },
    'rate-limit': { type: 'string', multiple: true },
  },
  run: async (deps, values) => {
    const rateLimits = parseRateLimits(values['rate-limit'] as string[] | undefined);
    const strategy = values['session-strategy'];
    const mfa = values.mfa;
    if (strategy !== undefined && strategy !== 'reject' && strategy !== 'evict_oldest')
      throw new UsageError('--session-strategy must be reject or evict_oldest');
    if (mfa !== undefined && mfa !== 'off' && mfa !== 'optional' && mfa !== 'required')
      throw new UsageError('--mfa must be off, optional or required');
    const tenant = await createTenant(
      deps,
      {
        id: requireString(values, 'id'),
        name: requireString(values, 'name'),
        sessionLimit: optionalInt(values, 'session-limit'),
        sessionStrategy: strategy,
        mfaPolicy: mfa,
        rateLimits,
      },
      CLI_ACTOR,
    );
    return { tenant: present(tenant) };
  },
};

const statusCommand = (name: 'suspend' | 'activate'): Command => ({
  name: `tenant ${name}`,
  usage: `tenant ${name} --id SLUG`,
  options: { id: { type: 'string' } },
  run: async (deps, values) => {
    const tenant = await setTenantStatus(deps, requireString(values, 'id'), name === 'suspend' ? 'suspended' : 'active', CLI_ACTOR);
    return { tenant: present(tenant) };
  },
});

export const tenantSuspend = statusCommand('suspend');
export const tenantActivate = statusCommand('activate');
