// The fixed clients and account of the bare provider and the peer, shared by bench/bare-provider.ts, bench/peer-server.ts and bench/run.ts.
export const BARE_CLIENT = { id: 'bench', secret: 'bench-secret-with-enough-entropy-0123456789' };
/** A second client whose access tokens are opaque: the bare provider introspects only what it stored. */
export const BARE_OPAQUE_CLIENT = { id: 'bench-opaque', secret: 'bench-opaque-secret-with-enough-entropy-01234' };
export const BARE_ACCOUNT = 'bench-account';
export const BARE_REDIRECT_URI = 'http://127.0.0.1:9/cb';
/** The client of the peer (bench/peer-server.ts). */
export const PEER_CLIENT = { id: 'peer', secret: 'peer-secret-with-enough-entropy-0123456789ab' };
