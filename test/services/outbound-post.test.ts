// The server's one call out to a URL a client registered (back-channel logout): in production it reaches public
// addresses only, judged on the address each connection really uses, so a registered URI cannot aim it at loopback,
// private or link-local services. A real HTTP server on loopback stands in for such a service: it must hear nothing.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/index.ts';
import { isPublicAddress, postForm } from '../../src/services/outbound-post.ts';

let internal: Server;
let port: number;
const heard: string[] = [];

beforeAll(async () => {
  internal = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      heard.push(`${req.method} ${req.url} ${body}`);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
  port = (internal.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => internal.close(() => resolve())));
beforeEach(() => (heard.length = 0));

const publicOnly = { timeoutMs: 2000, privateAddresses: false };

it('tells public unicast addresses from loopback, private, link-local, mapped and other special ones', () => {
  for (const address of ['8.8.8.8', '2606:4700:4700::1111', '93.184.215.14'])
    expect([address, isPublicAddress(address)]).toEqual([address, true]);
  for (const address of [
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fc00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '224.0.0.1',
    'not an address',
  ])
    expect([address, isPublicAddress(address)]).toEqual([address, false]);
});

it('refuses an address literal that is not public, before any connection', async () => {
  for (const url of [
    `http://127.0.0.1:${port}/logout`,
    `http://[::ffff:127.0.0.1]:${port}/logout`,
    'http://169.254.169.254/latest/meta-data',
  ])
    await expect(postForm(url, { logout_token: 't' }, publicOnly)).rejects.toMatchObject({ name: 'ForbiddenAddressError' });
  expect(heard).toEqual([]);
});

it('refuses a name that resolves to a non-public address, at connection time', async () => {
  await expect(postForm(`http://localhost:${port}/logout`, { logout_token: 't' }, publicOnly)).rejects.toMatchObject({
    name: 'ForbiddenAddressError',
  });
  expect(heard).toEqual([]);
});

it('posts the form and reports the status when private addresses are allowed (development, tests)', async () => {
  expect(await postForm(`http://localhost:${port}/logout`, { logout_token: 'abc' }, { timeoutMs: 2000, privateAddresses: true })).toBe(200);
  expect(heard).toEqual(['POST /logout logout_token=abc']);
});

it('allows private addresses outside production only, unless told otherwise', () => {
  const base = { DATABASE_URL: 'postgres://db/x', SECRET_KEY: 'k'.repeat(40) };
  expect(loadConfig({ ...base, NODE_ENV: 'production' }).backchannelLogout.privateAddresses).toBe(false);
  expect(loadConfig({ ...base, NODE_ENV: 'development' }).backchannelLogout.privateAddresses).toBe(true);
  expect(
    loadConfig({ ...base, NODE_ENV: 'production', BACKCHANNEL_LOGOUT_PRIVATE_ADDRESSES: 'true' }).backchannelLogout.privateAddresses,
  ).toBe(true);
});
