// The AuthClient SDK (docs/api.md): `import { AuthClient } from 'gatehouse/client'`.
export { AuthClient } from './auth-client.ts';
export { AuthApiError } from './errors.ts';
export { MemoryTokenStorage } from './memory-storage.ts';
export type * from './types.ts';
