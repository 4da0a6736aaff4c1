// Admin routes for IP blocks (docs/security.md): platform operators only — an address is blocked for every tenant.
import type { Context } from 'koa';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../errors/app-error.ts';
import type { AdminState } from '../../http/koa-admin-auth.ts';
import { liftIpBlock, listIpBlocks } from '../../services/ip-blocks.ts';
import { defineRoute, type RouteSpec } from '../route-spec.ts';

const ipBlock = z.object({ id: z.string(), ip: z.string(), reason: z.string(), createdAt: z.iso.datetime(), expiresAt: z.iso.datetime() });

export function ipBlockRoutes(app: AppContext): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/ip-blocks',
      name: 'listIpBlocks',
      summary: 'Addresses blocked now',
      auth: 'admin',
      permission: 'ip-blocks:read',
      platformOnly: true,
      response: z.object({ ipBlocks: z.array(ipBlock) }),
      handler: async () => ({ ipBlocks: await listIpBlocks(app) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/ip-blocks/:ip',
      name: 'liftIpBlock',
      summary: 'Lift the block of an address and forget its failures',
      auth: 'admin',
      permission: 'ip-blocks:write',
      platformOnly: true,
      params: z.object({ ip: z.string().refine((ip) => ipaddr.isValid(ip), { params: { constraint: 'IP_ADDRESS' } }) }),
      response: z.object({ ip: z.string(), lifted: z.number().int() }),
      errors: ['NOT_FOUND'],
      handler: async (ctx: Context, { params }) => {
        const lifted = await liftIpBlock(app, params.ip, (ctx.state.admin as AdminState).meta);
        if (lifted === 0) throw new AppError('NOT_FOUND', { field: 'ip', detail: `no active block for ${params.ip}` });
        return { ip: params.ip, lifted };
      },
    }),
  ];
}
