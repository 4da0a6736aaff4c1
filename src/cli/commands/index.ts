// The registry of CLI commands: a new command is one export in this folder and one line here (the order is the help's).
import type { Command } from '../command.ts';
import { clientCreate, clientDelete, clientList, clientRotateSecret, clientShow, clientUpdate } from './clients.ts';
import { demoCredentials } from './demo.ts';
import { ipUnblock } from './ip.ts';
import { keysRotate } from './keys.ts';
import { migrate } from './migrate.ts';
import { clientGrantScopes, resourceCreate, resourceDelete, resourceList, resourceShow, resourceUpdate } from './resources.ts';
import { roleCreate, roleDelete, roleList, roleShow, roleUpdate } from './roles.ts';
import { tenantActivate, tenantCreate, tenantDelete, tenantList, tenantShow, tenantSuspend, tenantUpdate } from './tenants.ts';
import { userCreate, userDelete, userDisable, userEnable, userList, userResetPassword, userShow, userUnlock, userUpdate } from './users.ts';

export const COMMANDS: readonly Command[] = [
  migrate,
  tenantCreate,
  tenantList,
  tenantShow,
  tenantUpdate,
  tenantSuspend,
  tenantActivate,
  tenantDelete,
  userCreate,
  userList,
  userShow,
  userUpdate,
  userResetPassword,
  userUnlock,
  userDisable,
  userEnable,
  userDelete,
  roleList,
  roleShow,
  roleCreate,
  roleUpdate,
  roleDelete,
  clientCreate,
  clientList,
  clientShow,
  clientUpdate,
  clientRotateSecret,
  clientDelete,
  clientGrantScopes,
  resourceCreate,
  resourceList,
  resourceShow,
  resourceUpdate,
  resourceDelete,
  keysRotate,
  ipUnblock,
  demoCredentials,
];
