// A pid lock file: refuses to open embedded storage that a live process already holds.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

export class DirectoryLockedError extends Error {
  override name = 'DirectoryLockedError';
}

/** Lock files this process holds: a second open in the same process is refused too. */
const held = new Set<string>();

export function acquireDirectoryLock(file: string): { release(): void } {
  if (held.has(file)) throw new DirectoryLockedError(`embedded database ${file.replace(/\.lock$/, '')} is already open in this process`);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      held.add(file);
      return {
        release: () => {
          held.delete(file);
          rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(file, 'utf8'));
      if (holder && isAlive(holder) && (holder !== process.pid || held.has(file))) {
        throw new DirectoryLockedError(
          `embedded database ${file.replace(/\.lock$/, '')} is in use by process ${holder}; stop it first or set DATABASE_URL`,
        );
      }
      rmSync(file, { force: true }); // left behind by a process that is gone
    }
  }
  throw new DirectoryLockedError(`could not lock ${file}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
