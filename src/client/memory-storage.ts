// The default token storage: one process's memory, gone on reload.
import type { StoredTokens, TokenStorage } from './types.ts';

export class MemoryTokenStorage implements TokenStorage {
  #tokens: StoredTokens | null = null;

  get(): StoredTokens | null {
    return this.#tokens;
  }

  set(tokens: StoredTokens | null): void {
    this.#tokens = tokens;
  }
}
