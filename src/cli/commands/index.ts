// The registry of CLI commands: a new command is one file in this folder and one line here.
import type { Command } from '../command.ts';
import { clientCreate } from './clients.ts';
import { ipUnblock } from './ip.ts';
import { keysRotate } from './keys.ts';
import { migrate } from './migrate.ts';
import { tenantActivate, tenantCreate, tenantSuspend } from './tenants.ts';
import { userCreate } from './users.ts';

export const COMMANDS: readonly Command[] = [
  migrate,
  tenantCreate,
  tenantSuspend,
  tenantActivate,
  userCreate,
  clientCreate,
  keysRotate,
  ipUnblock,
];
