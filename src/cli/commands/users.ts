// gatehouse user create|list|show|update|reset-password|unlock|delete — passwords come from a hidden prompt or stdin,
// never from the command line (where `ps` shows them).
import { CLI_ACTOR } from '../../services/audit.ts';
import { endSessionsOfUser, withDatabaseRevoker } from '../../services/sessions.ts';
import {
  createUser,
  deleteUser,
  getUserStatus,
  listUsers,
  setUserPassword,
  setUserRoles,
  setUserStatus,
  unlockUser,
  updateUser,
} from '../../services/users.ts';
import { formatTable } from '../output.ts';
import {
  CONFIRM_OPTIONS,
  optionalString,
  PAGE_OPTIONS,
  pageLimit,
  requireString,
  SECRET_OPTIONS,
  UsageError,
  type Command,
} from '../command.ts';

const USER = { tenant: { type: 'string' }, user: { type: 'string' } } as const;
const USER_USAGE = '--tenant SLUG --user ID';

export const userCreate: Command = {
  name: 'user create',
  usage: '--tenant SLUG --email E [--password-stdin] [--username U] [--unverified] [--role R]...',
  summary: 'Create a user; the password is asked for (hidden) or read from stdin',
  description: [
    'The password is never a flag: on a terminal it is asked for twice without echo; a script pipes it in:',
    `  printf '%s\\n' "$PASSWORD" | npx gatehouse user create --tenant acme --email ann@acme.test --password-stdin`,
    'Roles default to member; --role admin makes a tenant admin.',
  ].join('\n'),
  options: {
    tenant: { type: 'string' },
    email: { type: 'string' },
    username: { type: 'string' },
    unverified: { type: 'boolean' },
    role: { type: 'string', multiple: true },
    ...SECRET_OPTIONS,
  },
  run: async (deps, values) => {
    const roles = values.role as string[] | undefined;
    const tenantId = requireString(values, 'tenant');
    const email = requireString(values, 'email');
    const password = await deps.io.secret('password', values['password-stdin'] === true);
    deps.io.progress('Hashing the password…');
    const user = await createUser(
      deps,
      {
        tenantId,
        email,
        password,
        username: optionalString(values, 'username'),
        emailVerified: values.unverified !== true,
        ...(roles && { roles }),
      },
      CLI_ACTOR,
    );
    return { user: await getUserStatus(deps, tenantId, user.id) };
  },
};

export const userList: Command = {
  name: 'user list',
  usage: '--tenant SLUG [--search TEXT] [--status active|disabled] [--limit N] [--cursor C]',
  summary: "List a tenant's users, oldest first; --search matches part of the email or username",
  options: { tenant: { type: 'string' }, search: { type: 'string' }, status: { type: 'string' }, ...PAGE_OPTIONS },
  run: async (deps, values) => {
    const status = optionalString(values, 'status');
    if (status !== undefined && status !== 'active' && status !== 'disabled') throw new UsageError('--status must be active or disabled');
    const page = await listUsers(deps, requireString(values, 'tenant'), {
      search: optionalString(values, 'search'),
      status,
      limit: pageLimit(values),
      cursor: optionalString(values, 'cursor'),
    });
    return { users: page.items, nextCursor: page.nextCursor };
  },
  text: (result: { users: Array<Record<string, unknown>>; nextCursor: string | null }) =>
    [
      formatTable(result.users, ['id', 'email', 'username', 'status', 'roles', 'locked', 'mfaEnabled', 'lastLoginAt']),
      ...(result.nextCursor ? ['', `more: --cursor ${result.nextCursor}`] : []),
    ].join('\n'),
};

export const userShow: Command = {
  name: 'user show',
  usage: USER_USAGE,
  summary: "Show a user's profile and status: roles, locked, email verified, MFA, last sign-in",
  options: USER,
  run: async (deps, values) => ({ user: await getUserStatus(deps, requireString(values, 'tenant'), requireString(values, 'user')) }),
};

export const userUpdate: Command = {
  name: 'user update',
  usage: `${USER_USAGE} [--email E] [--username U | --no-username] [--verified | --unverified] [--role R]...`,
  summary: "Change a user's email, username, email-verified flag or roles",
  description: "Only the flags given change; --role replaces all of the user's roles with the ones named.",
  options: {
    ...USER,
    email: { type: 'string' },
    username: { type: 'string' },
    'no-username': { type: 'boolean' },
    verified: { type: 'boolean' },
    unverified: { type: 'boolean' },
    role: { type: 'string', multiple: true },
  },
  run: async (deps, values) => {
    const tenantId = requireString(values, 'tenant');
    const userId = requireString(values, 'user');
    if (values.verified === true && values.unverified === true) throw new UsageError('--verified and --unverified exclude each other');
    const changes = {
      ...(typeof values.email === 'string' && { email: values.email }),
      ...(typeof values.username === 'string' && { username: values.username }),
      ...(values['no-username'] === true && { username: null }),
      ...(values.verified === true && { emailVerified: true }),
      ...(values.unverified === true && { emailVerified: false }),
    };
    const roles = values.role as string[] | undefined;
    if (Object.keys(changes).length === 0 && !roles) throw new UsageError('nothing to change');
    let user = await getUserStatus(deps, tenantId, userId);
    if (Object.keys(changes).length > 0) user = await updateUser(deps, tenantId, userId, changes, CLI_ACTOR);
    if (roles) user = await setUserRoles(deps, tenantId, userId, roles, CLI_ACTOR);
    return { user };
  },
};

export const userResetPassword: Command = {
  name: 'user reset-password',
  usage: `${USER_USAGE} [--password-stdin]`,
  summary: "Set a user's password (asked for, or read from stdin); ends their sessions and lifts a lockout",
  options: { ...USER, ...SECRET_OPTIONS },
  run: async (deps, values) => {
    const tenantId = requireString(values, 'tenant');
    const userId = requireString(values, 'user');
    await getUserStatus(deps, tenantId, userId);
    const password = await deps.io.secret('new password', values['password-stdin'] === true);
    deps.io.progress('Hashing the password…');
    const sessionsEnded = await setUserPassword(withDatabaseRevoker(deps), tenantId, userId, password, CLI_ACTOR);
    return { user: await getUserStatus(deps, tenantId, userId), sessionsEnded };
  },
};

export const userDisable: Command = {
  name: 'user disable',
  usage: USER_USAGE,
  summary: 'Disable a user: no more sign-ins, and every session ends with its tokens',
  description: "The tenant's last active admin cannot be disabled (LAST_ADMIN).",
  options: USER,
  run: async (deps, values) => {
    const tenantId = requireString(values, 'tenant');
    const userId = requireString(values, 'user');
    await setUserStatus(deps, tenantId, userId, 'disabled', CLI_ACTOR);
    const sessionDeps = withDatabaseRevoker(deps);
    const sessionsEnded = await endSessionsOfUser(sessionDeps, tenantId, userId, 'user_disabled', CLI_ACTOR);
    return { user: await getUserStatus(deps, tenantId, userId), sessionsEnded };
  },
};

export const userEnable: Command = {
  name: 'user enable',
  usage: USER_USAGE,
  summary: 'Enable a disabled user again',
  options: USER,
  run: async (deps, values) => {
    const tenantId = requireString(values, 'tenant');
    const userId = requireString(values, 'user');
    await setUserStatus(deps, tenantId, userId, 'active', CLI_ACTOR);
    return { user: await getUserStatus(deps, tenantId, userId) };
  },
};

export const userUnlock: Command = {
  name: 'user unlock',
  usage: USER_USAGE,
  summary: 'Lift a lockout after too many failed sign-ins',
  options: USER,
  run: async (deps, values) => {
    const tenantId = requireString(values, 'tenant');
    const userId = requireString(values, 'user');
    await unlockUser(deps, tenantId, userId, CLI_ACTOR);
    return { user: await getUserStatus(deps, tenantId, userId) };
  },
};

export const userDelete: Command = {
  name: 'user delete',
  usage: `${USER_USAGE} [--yes]`,
  summary: 'Delete a user with their sessions, roles and MFA',
  description: 'Irreversible: asks for confirmation on a terminal; scripts pass --yes.',
  options: { ...USER, ...CONFIRM_OPTIONS },
  run: async (deps, values) => {
    const tenantId = requireString(values, 'tenant');
    const userId = requireString(values, 'user');
    const user = await getUserStatus(deps, tenantId, userId);
    await deps.io.confirm(`Delete user ${user.email} of ${tenantId}?`, values.yes === true);
    await deleteUser(deps, tenantId, userId, CLI_ACTOR);
    return { deleted: { tenant: tenantId, user: userId, email: user.email } };
  },
};
