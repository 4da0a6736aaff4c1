// gatehouse tenant create|suspend|activate
import { CLI_ACTOR } from '../../services/audit.ts';
import { createTenant, setTenantStatus } from '../../services/tenants.ts';
import type { Tenant } from '../../db/queries/tenants.ts';
import { optionalInt, requireString, UsageError, type Command } from '../command.ts';

const present = (t: Tenant) => ({
  id: t.id,
  name: t.name,
  status: t.status,
  sessionLimit: t.sessionLimit,
  sessionStrategy: t.sessionStrategy,
  mfaPolicy: t.mfaPolicy,
  createdAt: t.createdAt,
});

export const tenantCreate: Command = {
  name: 'tenant create',
  usage: 'tenant create --id SLUG --name NAME [--session-limit N] [--session-strategy reject|evict_oldest] [--mfa off|optional|required]',
  options: {
    id: { type: 'string' },
    name: { type: 'string' },
    'session-limit': { type: 'string' },
    'session-strategy': { type: 'string' },
    mfa: { type: 'string' },
  },
  run: async (deps, values) => {
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
