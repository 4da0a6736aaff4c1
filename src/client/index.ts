// The Gatehouse SDK (docs/api.md): `import { AuthClient, AdminClient } from '@gatehouse/client'` once published
// (packages/client), or `gatehouse/client` inside this repository. It imports nothing from the server.
export { AdminClient } from './admin-client.ts';
export { AuthClient } from './auth-client.ts';
export { AuthApiError } from './errors.ts';
export { MemoryTokenStorage } from './memory-storage.ts';
export { ADMIN_OPERATIONS, AUTH_OPERATIONS } from './operations.ts';
export type * from './types.ts';
