// gatehouse user create
import { CLI_ACTOR } from '../../services/audit.ts';
import { createUser, presentUser } from '../../services/users.ts';
import { requireString, type Command } from '../command.ts';

export const userCreate: Command = {
  name: 'user create',
  usage: 'user create --tenant SLUG --email E --password P [--username U] [--unverified] [--role R]...',
  options: {
    tenant: { type: 'string' },
    email: { type: 'string' },
    password: { type: 'string' },
    username: { type: 'string' },
    unverified: { type: 'boolean' },
    role: { type: 'string', multiple: true },
  },
  run: async (deps, values) => {
    const roles = values.role as string[] | undefined;
    const user = await createUser(
      deps,
      {
        tenantId: requireString(values, 'tenant'),
        email: requireString(values, 'email'),
        password: requireString(values, 'password'),
        username: values.username as string | undefined,
        emailVerified: values.unverified !== true,
        ...(roles && { roles }),
      },
      CLI_ACTOR,
    );
    return { user: presentUser(user) };
  },
};
