// A newcomer's first starts: the demo credentials are printed on every development start until the demo admin
// changes the password, `gatehouse demo credentials` recovers them, and GET / is a landing page with the links.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { ROOT, runScript, spawnServer } from '../helpers/processes.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-demo-'));
const vars = { DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', BCRYPT_COST: '4', LOG_LEVEL: 'info', NODE_ENV: 'development' };
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const adminPasswordIn = (output: string) => /tenant admin {2}admin@demo\.test {2}password (\S+)/.exec(output)?.[1];
const cli = (...args: string[]) => runScript('bin/gatehouse.js', args, vars);

it('prints the demo credentials on every start until the demo admin changes the password', async () => {
  const first = await spawnServer(vars, 120_000);
  let password: string | undefined;
  try {
    password = adminPasswordIn(await first.waitForOutput('Demo data created'));
    expect(password).toMatch(/^[\w-]{16}$/);

    // The development landing page links to the demo sign-in, the docs and the admin console.
    const landing = await fetch(`${first.url}/`);
    expect(landing.status).toBe(200);
    expect(landing.headers.get('content-type')).toContain('text/html');
    expect(landing.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await landing.text();
    for (const href of ['/admin', '/docs', '/docs/errors', '/.well-known/openid-configuration']) expect(html).toContain(`href="${href}"`);
    expect(html).toMatch(/href="http:\/\/localhost:0\/oauth2\/authorize\?client_id=demo_[^"]+"/);
  } finally {
    expect(await first.stop()).toBe(0);
  }
  expect(statSync(join(dataDir, 'demo-credentials.json')).mode & 0o077).toBe(0);

  const second = await spawnServer(vars, 120_000);
  try {
    expect(adminPasswordIn(await second.waitForOutput('Demo data (shown until the demo admin changes the password'))).toBe(password);
  } finally {
    expect(await second.stop()).toBe(0);
  }

  const recovered = await cli('demo', 'credentials');
  expect(recovered.code).toBe(0);
  expect(JSON.parse(recovered.stdout).demo).toMatchObject({ tenantId: 'demo', admin: { email: 'admin@demo.test', password } });

  // Once the admin chose a password of their own, the generated one is not shown again, anywhere.
  const admin = JSON.parse((await cli('user', 'list', '--tenant', 'demo', '--search', 'admin@')).stdout).users[0];
  await new Promise<void>((resolve, reject) => {
    const p = spawn(
      process.execPath,
      ['bin/gatehouse.js', 'user', 'reset-password', '--tenant', 'demo', '--user', admin.id, '--password-stdin'],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, ...vars },
      },
    );
    p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`reset-password exited ${code}`))));
    p.stdin.end('my own passphrase\n');
  });
  expect(JSON.parse((await cli('demo', 'credentials')).stdout).demo).toBeNull();
  const third = await spawnServer(vars, 120_000);
  try {
    expect(third.output()).not.toContain('Demo data');
    expect(third.output()).not.toContain(password);
  } finally {
    expect(await third.stop()).toBe(0);
  }
}, 300_000);
