// POSTs a form to a URL a client registered (back-channel logout), the one place the server calls out to an address
// chosen by whoever registers clients. Unless private addresses are allowed, the connection may only go to a public
// unicast address: the check runs on the address the connection really uses (the resolver's answer, or the literal
// in the URL), so neither a name that resolves inward nor one that changes its answer after a first check (DNS
// rebinding) reaches loopback, private, link-local or cloud metadata addresses. No redirect is followed.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export class ForbiddenAddressError extends Error {
  override name = 'ForbiddenAddressError';
}

/** Only ordinary public unicast addresses; an IPv4-mapped IPv6 address is judged as the IPv4 one. */
export function isPublicAddress(address: string): boolean {
  try {
    return ipaddr.process(address).range() === 'unicast';
  } catch {
    return false;
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http(s).request that refuses to connect to a non-public address. */
function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) return callback(new ForbiddenAddressError(`${hostname} resolves to a non-public address`), []);
    if (options.all) return callback(null, addresses);
    const first = addresses[0];
    return first ? callback(null, first.address, first.family) : callback(new ForbiddenAddressError(`${hostname} has no address`), []);
  });
}

/** The response status of a form POST; throws ForbiddenAddressError, or an error named TimeoutError after `timeoutMs`. */
export function postForm(
  url: string,
  fields: Record<string, string>,
  options: { timeoutMs: number; privateAddresses: boolean },
): Promise<number> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  if (!options.privateAddresses && isIP(host) && !isPublicAddress(host))
    return Promise.reject(new ForbiddenAddressError(`${host} is not a public address`));
  const body = new URLSearchParams(fields).toString();
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        ...(!options.privateAddresses && { lookup: publicOnlyLookup }),
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (res) => {
        res.resume(); // the answer's body is not read
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', (err) => reject(err.name === 'AbortError' ? Object.assign(new Error('timed out'), { name: 'TimeoutError' }) : err));
    req.end(body);
  });
}
