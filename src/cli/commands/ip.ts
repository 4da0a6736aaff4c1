// gatehouse ip unblock — lifts an IP block: the live block in Redis and the record in PostgreSQL.
import ipaddr from 'ipaddr.js';
import { CLI_ACTOR } from '../../services/audit.ts';
import { liftIpBlock } from '../../services/ip-blocks.ts';
import { MemoryStore } from '../../store/memory-store.ts';
import { RedisStore } from '../../store/redis-store.ts';
import { requireString, UsageError, type Command } from '../command.ts';

export const ipUnblock: Command = {
  name: 'ip unblock',
  usage: '--ip IP',
  summary: 'Lift a block of an IP address (the live block in Redis and its record)',
  options: { ip: { type: 'string' } },
  run: async (deps, values) => {
    const ip = requireString(values, 'ip');
    if (!ipaddr.isValid(ip)) throw new UsageError('--ip must be an IPv4 or IPv6 address');
    // Without REDIS_URL the live block lives in the server's memory, which ends with the server; only the record
    // is lifted here.
    const store = deps.config.redisUrl
      ? new RedisStore(deps.config.redisUrl, deps.config.redisKeyPrefix, deps.logger, { cluster: deps.config.redisCluster })
      : new MemoryStore();
    if (store instanceof RedisStore) await store.connect();
    try {
      return { ip, lifted: await liftIpBlock({ db: deps.db, store }, ip, CLI_ACTOR) };
    } finally {
      await store.close();
    }
  },
};
