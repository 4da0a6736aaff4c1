// The public origin of a request: PUBLIC_URL's, or for a tenant subdomain `{tenant}.TENANT_DOMAIN` with PUBLIC_URL's
// scheme and port; never what the Host header claims beyond that. The provider publishes its URLs from it, and DPoP
// proofs (RFC 9449 `htu`) are checked against it.
import type { Config } from '../config/index.ts';

/** The origin to publish for a request that arrived with `host`. */
export function publicOriginFor(config: Pick<Config, 'publicUrl' | 'tenantDomain'>, host: string): string {
  const base = new URL(config.publicUrl);
  if (config.tenantDomain) {
    const domain = config.tenantDomain.toLowerCase().replace(/^\./, '');
    const port = base.port ? `:${base.port}` : '';
    const match = new RegExp(`^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\\.${domain.replace(/[.]/g, '\\.')}${port.replace(':', '\\:')}$`).exec(
      host.toLowerCase(),
    );
    if (match) return `${base.protocol}//${match[1]}.${domain}${port}`;
  }
  return base.origin;
}
