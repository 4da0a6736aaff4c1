// SQL for ip_blocks.
import type { Knex } from 'knex';

export interface IpBlock {
  id: string;
  ip: string;
  reason: string;
  createdAt: Date;
  expiresAt: Date;
}

export async function insertIpBlock(db: Knex, block: { ip: string; reason: string; expiresAt: Date }): Promise<void> {
  await db('ip_blocks').insert({ ip: block.ip, reason: block.reason, expires_at: block.expiresAt });
}

/** Platform-wide: IP blocks are not tenant data (an address attacks the service, not one tenant). */
export async function findActiveIpBlocks(db: Knex): Promise<IpBlock[]> {
  const rows = await db('ip_blocks').whereNull('lifted_at').andWhere('expires_at', '>', new Date()).orderBy('created_at', 'desc');
  return rows.map((r: Record<string, unknown>) => ({
    id: String(r.id),
    ip: r.ip as string,
    reason: r.reason as string,
    createdAt: r.created_at as Date,
    expiresAt: r.expires_at as Date,
  }));
}

export async function liftIpBlocks(db: Knex, ip: string, liftedBy: string): Promise<number> {
  return db('ip_blocks')
    .where({ ip })
    .whereNull('lifted_at')
    .andWhere('expires_at', '>', new Date())
    .update({ lifted_at: db.fn.now(), lifted_by: liftedBy });
}
