// gatehouse role list|show|create|update|delete — a tenant's custom roles (the built-in admin and member are fixed).
import { CLI_ACTOR } from '../../services/audit.ts';
import { parseOrThrow } from '../../errors/validation.ts';
import { AppError } from '../../errors/app-error.ts';
import { PERMISSIONS } from '../../services/permissions.ts';
import { createRole, deleteRole, listRoles, newRoleSchema, presentRole, roleChangesSchema, updateRole } from '../../services/roles.ts';
import { getTenant } from '../../services/tenants.ts';
import { formatTable } from '../output.ts';
import { CONFIRM_OPTIONS, requireString, UsageError, type Command, type Values } from '../command.ts';

const ROLE = { tenant: { type: 'string' }, name: { type: 'string' } } as const;
const PERMISSION_HELP = `Permissions: ${PERMISSIONS.join(', ')}.`;

const changesOf = (values: Values) => ({
  ...(typeof values.description === 'string' && { description: values.description }),
  ...(values.permission !== undefined && { permissions: values.permission }),
});

export const roleList: Command = {
  name: 'role list',
  usage: '--tenant SLUG',
  summary: "List a tenant's roles and their permissions",
  options: { tenant: { type: 'string' } },
  run: async (deps, values) => {
    const tenantId = requireString(values, 'tenant');
    await getTenant(deps, tenantId);
    return { roles: (await listRoles(deps, tenantId)).map(presentRole) };
  },
  text: (result: { roles: Array<Record<string, unknown>> }) => formatTable(result.roles, ['name', 'builtIn', 'permissions', 'description']),
};

export const roleShow: Command = {
  name: 'role show',
  usage: '--tenant SLUG --name ROLE',
  summary: 'Show one role',
  options: ROLE,
  run: async (deps, values) => {
    const tenantId = requireString(values, 'tenant');
    const name = requireString(values, 'name');
    await getTenant(deps, tenantId);
    const role = (await listRoles(deps, tenantId)).find((r) => r.name === name);
    if (!role) throw new AppError('NOT_FOUND', { field: 'name', detail: `role ${name}` });
    return { role: presentRole(role) };
  },
};

export const roleCreate: Command = {
  name: 'role create',
  usage: '--tenant SLUG --name ROLE [--description TEXT] [--permission P]...',
  summary: 'Create a custom role',
  description: PERMISSION_HELP,
  options: { ...ROLE, description: { type: 'string' }, permission: { type: 'string', multiple: true } },
  run: async (deps, values) => {
    const tenantId = requireString(values, 'tenant');
    await getTenant(deps, tenantId);
    const input = parseOrThrow(newRoleSchema, { name: requireString(values, 'name'), ...changesOf(values) });
    return { role: presentRole(await createRole(deps, tenantId, input, CLI_ACTOR)) };
  },
};

export const roleUpdate: Command = {
  name: 'role update',
  usage: '--tenant SLUG --name ROLE [--description TEXT] [--permission P]...',
  summary: "Change a custom role's description or permissions (--permission replaces the list)",
  description: PERMISSION_HELP,
  options: { ...ROLE, description: { type: 'string' }, permission: { type: 'string', multiple: true } },
  run: async (deps, values) => {
    const changes = parseOrThrow(roleChangesSchema, changesOf(values));
    if (Object.keys(changes).length === 0) throw new UsageError('nothing to change');
    return {
      role: presentRole(await updateRole(deps, requireString(values, 'tenant'), requireString(values, 'name'), changes, CLI_ACTOR)),
    };
  },
};

export const roleDelete: Command = {
  name: 'role delete',
  usage: '--tenant SLUG --name ROLE [--yes]',
  summary: 'Delete a custom role; users who held it lose it',
  options: { ...ROLE, ...CONFIRM_OPTIONS },
  run: async (deps, values) => {
    const tenantId = requireString(values, 'tenant');
    const name = requireString(values, 'name');
    await deps.io.confirm(`Delete role ${name} of ${tenantId}?`, values.yes === true);
    await deleteRole(deps, tenantId, name, CLI_ACTOR);
    return { deleted: { tenant: tenantId, role: name } };
  },
};
