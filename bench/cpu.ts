// CPU time spent during a scenario, from /proc: by the server's process tree (a primary and its workers), by
// the PostgreSQL backends serving the benchmark's database (not those of anyone else sharing the server), by Redis,
// and on the whole machine (busy, idle, steal). Per request it is a steadier yardstick than
// req/s on a shared machine: a refresh that costs the server 2 ms of CPU cannot pass 500/s on one core.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcStat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime in ms */
  cpuMs: number;
  /** stime in ms */
  sysMs: number;
}

function readProcs(): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
    const close = text.lastIndexOf(')');
    const fields = text.slice(close + 2).split(' ');
    out.push({
      pid: Number(name),
      ppid: Number(fields[1]),
      comm: text.slice(text.indexOf('(') + 1, close),
      cpuMs: ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND,
      sysMs: (Number(fields[12]) * 1000) / TICKS_PER_SECOND,
    });
  }
  return out;
}

function machineTicks(): { busy: number; idle: number; steal: number } {
  const [, ...values] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = values.map(Number) as number[];
  return { busy: user! + nice! + system! + irq! + softirq!, idle: idle! + iowait!, steal: steal ?? 0 };
}

export interface CpuSnapshot {
  server: number;
  serverSys: number;
  /** CPU ms so far of each backend of the benchmark's database, by pid */
  postgres: Map<number, number>;
  redis: number;
  machine: { busy: number; idle: number; steal: number };
}

/**
 * CPU ms so far of the tree under `serverPid` (processes that exited are not counted), of the PostgreSQL backends
 * `postgresPids` (those of the benchmark's database, from pg_stat_activity) and of Redis.
 */
export function cpuSnapshot(serverPid: number, postgresPids: ReadonlySet<number>): CpuSnapshot {
  const procs = readProcs();
  const children = new Map<number, ProcStat[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  let server = 0;
  let serverSys = 0;
  const queue = procs.filter((p) => p.pid === serverPid);
  while (queue.length > 0) {
    const p = queue.pop()!;
    server += p.cpuMs;
    serverSys += p.sysMs;
    queue.push(...(children.get(p.pid) ?? []));
  }
  const sum = (comm: RegExp) => procs.filter((p) => comm.test(p.comm)).reduce((n, p) => n + p.cpuMs, 0);
  const postgres = new Map(procs.filter((p) => postgresPids.has(p.pid)).map((p) => [p.pid, p.cpuMs]));
  return { server, serverSys, postgres, redis: sum(/^redis-server$/), machine: machineTicks() };
}

export interface CpuUse {
  /** CPU ms per request of the server, PostgreSQL and Redis */
  serverMs: number;
  /** the kernel's share of serverMs (socket writes on loopback include the receiving side's TCP work), in % */
  serverSys: number;
  postgresMs: number;
  redisMs: number;
  /** shares of the machine's time over the run, in % */
  busy: number;
  steal: number;
}

export function cpuUse(before: CpuSnapshot, after: CpuSnapshot, requests: number): CpuUse {
  const per = (a: number, b: number) => (requests > 0 ? (b - a) / requests : 0);
  const busy = after.machine.busy - before.machine.busy;
  const idle = after.machine.idle - before.machine.idle;
  const steal = after.machine.steal - before.machine.steal;
  const all = busy + idle + steal || 1;
  return {
    serverMs: per(before.server, after.server),
    serverSys: (100 * (after.serverSys - before.serverSys)) / (after.server - before.server || 1),
    // A backend that started during the run counts from zero; one that ended during it is lost (pools keep theirs).
    postgresMs: per(
      0,
      [...after.postgres].reduce((n, [pid, ms]) => n + ms - (before.postgres.get(pid) ?? 0), 0),
    ),
    redisMs: per(before.redis, after.redis),
    busy: (100 * busy) / all,
    steal: (100 * steal) / all,
  };
}
