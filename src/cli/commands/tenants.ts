// gatehouse tenant create|list|show|update|suspend|activate|delete
import { CLI_ACTOR } from '../../services/audit.ts';
import {
  createTenant,
  deleteTenant,
  getTenant,
  listAllTenants,
  presentTenant,
  RATE_LIMIT_CLASSES,
  setTenantStatus,
  updateTenant,
} from '../../services/tenants.ts';
import { formatTable } from '../output.ts';
import {
  CONFIRM_OPTIONS,
  optionalInt,
  optionalString,
  PAGE_OPTIONS,
  pageLimit,
  requireString,
  UsageError,
  type Command,
  type Values,
} from '../command.ts';

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

const SETTINGS_OPTIONS = {
  name: { type: 'string' },
  'session-limit': { type: 'string' },
  'session-strategy': { type: 'string' },
  mfa: { type: 'string' },
  'lockout-max-failures': { type: 'string' },
  'lockout-seconds': { type: 'string' },
  'rate-limit': { type: 'string', multiple: true },
  'self-registration': { type: 'string' },
} as const;

const SETTINGS_USAGE =
  '[--session-limit N] [--session-strategy reject|evict_oldest] [--mfa off|optional|required] [--lockout-max-failures N] [--lockout-seconds S] [--rate-limit CLASS=POINTS/SECONDS]... [--self-registration on|off]';

function settingsOf(values: Values) {
  const strategy = optionalString(values, 'session-strategy');
  const mfa = optionalString(values, 'mfa');
  if (strategy !== undefined && strategy !== 'reject' && strategy !== 'evict_oldest')
    throw new UsageError('--session-strategy must be reject or evict_oldest');
  if (mfa !== undefined && mfa !== 'off' && mfa !== 'optional' && mfa !== 'required')
    throw new UsageError('--mfa must be off, optional or required');
  const selfRegistration = optionalString(values, 'self-registration');
  if (selfRegistration !== undefined && selfRegistration !== 'on' && selfRegistration !== 'off')
    throw new UsageError('--self-registration must be on or off');
  const settings = {
    name: optionalString(values, 'name'),
    sessionLimit: optionalInt(values, 'session-limit'),
    sessionStrategy: strategy,
    mfaPolicy: mfa,
    lockoutMaxFailures: optionalInt(values, 'lockout-max-failures'),
    lockoutDurationSeconds: optionalInt(values, 'lockout-seconds'),
    rateLimits: parseRateLimits(values['rate-limit'] as string[] | undefined),
    selfRegistration: selfRegistration === undefined ? undefined : selfRegistration === 'on',
  };
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<typeof settings>;
}

export const tenantCreate: Command = {
  name: 'tenant create',
  usage: `--id SLUG --name NAME ${SETTINGS_USAGE}`,
  summary: 'Create a tenant with its built-in admin and member roles',
  description: 'The id is the tenant slug clients send as X-Tenant-ID: lowercase letters, digits and hyphens.',
  options: { id: { type: 'string' }, ...SETTINGS_OPTIONS },
  run: async (deps, values) => {
    const tenant = await createTenant(
      deps,
      { ...settingsOf(values), id: requireString(values, 'id'), name: requireString(values, 'name') } as Parameters<typeof createTenant>[1],
      CLI_ACTOR,
    );
    return { tenant: presentTenant(tenant) };
  },
};

export const tenantList: Command = {
  name: 'tenant list',
  usage: '[--limit N] [--cursor C]',
  summary: 'List every tenant, in id order',
  options: PAGE_OPTIONS,
  run: async (deps, values) => {
    const page = await listAllTenants(deps, { limit: pageLimit(values), cursor: optionalString(values, 'cursor') });
    return { tenants: page.items.map(presentTenant), nextCursor: page.nextCursor };
  },
  text: (result: { tenants: Array<Record<string, unknown>>; nextCursor: string | null }) =>
    [
      formatTable(result.tenants, ['id', 'name', 'status', 'mfaPolicy', 'sessionLimit', 'createdAt']),
      ...(result.nextCursor ? ['', `more: --cursor ${result.nextCursor}`] : []),
    ].join('\n'),
};

export const tenantShow: Command = {
  name: 'tenant show',
  usage: '--id SLUG',
  summary: "Show a tenant's settings",
  options: { id: { type: 'string' } },
  run: async (deps, values) => ({ tenant: presentTenant(await getTenant(deps, requireString(values, 'id'))) }),
};

export const tenantUpdate: Command = {
  name: 'tenant update',
  usage: `--id SLUG [--name NAME] ${SETTINGS_USAGE}`,
  summary: "Change a tenant's name or settings",
  description: 'Only the flags given change. Running servers pick the change up at once (over Redis) or within CACHE_TTL_SECONDS.',
  options: { id: { type: 'string' }, ...SETTINGS_OPTIONS },
  run: async (deps, values) => {
    const id = requireString(values, 'id');
    const settings = settingsOf(values);
    if (Object.keys(settings).length === 0) throw new UsageError('nothing to change: give at least one setting flag');
    return { tenant: presentTenant(await updateTenant(deps, id, settings as Parameters<typeof updateTenant>[2], CLI_ACTOR)) };
  },
};

const statusCommand = (name: 'suspend' | 'activate'): Command => ({
  name: `tenant ${name}`,
  usage: '--id SLUG',
  summary: name === 'suspend' ? 'Suspend a tenant: its users can no longer sign in' : 'Activate a suspended tenant',
  options: { id: { type: 'string' } },
  run: async (deps, values) => {
    const tenant = await setTenantStatus(deps, requireString(values, 'id'), name === 'suspend' ? 'suspended' : 'active', CLI_ACTOR);
    return { tenant: presentTenant(tenant) };
  },
});

export const tenantSuspend = statusCommand('suspend');
export const tenantActivate = statusCommand('activate');

export const tenantDelete: Command = {
  name: 'tenant delete',
  usage: '--id SLUG [--yes]',
  summary: 'Delete a tenant with all its users, roles, clients and sessions',
  description: 'Irreversible: asks for confirmation on a terminal; scripts pass --yes. `tenant suspend` is the reversible way.',
  options: { id: { type: 'string' }, ...CONFIRM_OPTIONS },
  run: async (deps, values) => {
    const id = requireString(values, 'id');
    await getTenant(deps, id);
    await deps.io.confirm(`Delete tenant ${id} with all its users, clients and sessions?`, values.yes === true);
    await deleteTenant(deps, id, CLI_ACTOR);
    return { deleted: { tenant: id } };
  },
};
