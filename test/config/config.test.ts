import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

const dataDir = () => mkdtempSync(join(tmpdir(), 'gatehouse-config-'));

describe('loadConfig', () => {
  it('applies the documented defaults with no variables set', () => {
    const dir = dataDir();
    const config = loadConfig({ DATA_DIR: dir });
    expect(config).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      publicUrl: 'http://localhost:3000',
      databaseUrl: undefined,
      redisUrl: undefined,
      bcryptCost: 12,
      accessTokenTtl: 900,
      workers: 1,
      trustProxy: false,
      logLevel: 'info',
      isProduction: false,
      seedDemo: true,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('generates a development SECRET_KEY into DATA_DIR once and reuses it', () => {
    const dir = dataDir();
    const first = loadConfig({ DATA_DIR: dir }).secretKey;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dir, 'secret-key'), 'utf8').trim()).toBe(first);
    expect(loadConfig({ DATA_DIR: dir }).secretKey).toBe(first);
  });

  it('takes ACCESS_TOKEN_TTL in seconds within bounds', () => {
    expect(loadConfig({ DATA_DIR: dataDir(), ACCESS_TOKEN_TTL: '60' }).accessTokenTtl).toBe(60);
    expect(() => loadConfig({ ACCESS_TOKEN_TTL: '2' })).toThrow(/^ACCESS_TOKEN_TTL: must be a whole number from 5 to 86400 \(got "2"\)/);
  });

  it('takes REDIS_CLUSTER only with a REDIS_URL to discover the cluster from', () => {
    expect(loadConfig({ DATA_DIR: dataDir(), REDIS_URL: 'redis://10.0.0.5:6379', REDIS_CLUSTER: 'true' }).redisCluster).toBe(true);
    expect(loadConfig({ DATA_DIR: dataDir() }).redisCluster).toBe(false);
    expect(() => loadConfig({ DATA_DIR: dataDir(), REDIS_CLUSTER: 'true' })).toThrow(
      new ConfigError('REDIS_CLUSTER: needs REDIS_URL (a node of the cluster)'),
    );
  });

  it('names the variable and the problem for a bad PORT', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(new ConfigError('PORT: must be a whole number from 0 to 65535 (got "abc")'));
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/^PORT: must be a whole number from 0 to 65535/);
  });

  it('reports every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', REDIS_URL: 'http://nope', LOG_LEVEL: 'loud', DATA_DIR: dataDir() })).toThrow(
      /PORT: .*; REDIS_URL: must be a URL starting with redis:\/\/ or rediss:\/\/ .*; LOG_LEVEL: must be one of/,
    );
  });

  it('never echoes the SECRET_KEY value in an error', () => {
    expect(() => loadConfig({ SECRET_KEY: 'short-secret' })).toThrow('SECRET_KEY: must be at least 32 characters');
    expect(() => loadConfig({ SECRET_KEY: 'short-secret' })).not.toThrow(/short-secret/);
  });

  it('chooses the access-token algorithm among those with keys, ES256 by default', () => {
    expect(loadConfig({ DATA_DIR: dataDir() })).toMatchObject({ accessTokenAlg: 'ES256', cacheTtlSeconds: 5, metricsToken: undefined });
    expect(loadConfig({ DATA_DIR: dataDir(), ACCESS_TOKEN_ALG: 'RS256' }).accessTokenAlg).toBe('RS256');
    expect(() => loadConfig({ DATA_DIR: dataDir(), ACCESS_TOKEN_ALG: 'EdDSA' })).toThrow(
      /^ACCESS_TOKEN_ALG: must be one of ES256, RS256 .*\(got "EdDSA"\)$/,
    );
    expect(() => loadConfig({ DATA_DIR: dataDir(), CACHE_TTL_SECONDS: '-1' })).toThrow(/^CACHE_TTL_SECONDS: /);
  });

  it('never echoes the METRICS_TOKEN value in an error', () => {
    expect(() => loadConfig({ DATA_DIR: dataDir(), METRICS_TOKEN: 'short' })).toThrow('METRICS_TOKEN: must be at least 16 characters');
    expect(() => loadConfig({ DATA_DIR: dataDir(), METRICS_TOKEN: 'short' })).not.toThrow(/short"/);
  });

  it('requires SECRET_KEY and DATABASE_URL in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x' })).toThrow(/^SECRET_KEY: required/);
    expect(() => loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'k'.repeat(40) })).toThrow(/^DATABASE_URL: required/);
    const config = loadConfig({ NODE_ENV: 'production', SECRET_KEY: 'k'.repeat(40), DATABASE_URL: 'postgres://db/x' });
    expect(config.seedDemo).toBe(false);
  });

  it('refuses several workers on embedded storage', () => {
    expect(() => loadConfig({ WORKERS: '2', DATA_DIR: dataDir() })).toThrow(
      /^WORKERS: more than one process needs DATABASE_URL and REDIS_URL/,
    );
  });

  it('derives PUBLIC_URL from PORT and strips a trailing slash', () => {
    expect(loadConfig({ PORT: '8080', DATA_DIR: dataDir() }).publicUrl).toBe('http://localhost:8080');
    expect(loadConfig({ PUBLIC_URL: 'https://id.example.com/', DATA_DIR: dataDir() }).publicUrl).toBe('https://id.example.com');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATA_DIR: dataDir() }).port).toBe(3000);
  });
});

describe('deadlines, shutdown delay and key rotation (docs/operations.md)', () => {
  const production = { NODE_ENV: 'production', SECRET_KEY: 's'.repeat(40), DATABASE_URL: 'postgres://db/gatehouse' };

  it('gives every dependency call a deadline by default, the client read deadline after the server statement one', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).deadlines).toEqual({
      databaseConnectMs: 3000,
      databaseStatementMs: 5000,
      databaseQueryMs: 6000,
      databaseAcquireMs: 5000,
      redisConnectMs: 2000,
      redisCommandMs: 2000,
    });
    expect(loadConfig({ DATA_DIR: dataDir(), DATABASE_STATEMENT_TIMEOUT_MS: '800' }).deadlines.databaseQueryMs).toBe(1800);
    expect(() => loadConfig({ DATA_DIR: dataDir(), DATABASE_STATEMENT_TIMEOUT_MS: '800', DATABASE_QUERY_TIMEOUT_MS: '500' })).toThrow(
      /^DATABASE_QUERY_TIMEOUT_MS: must be at least DATABASE_STATEMENT_TIMEOUT_MS/,
    );
    expect(() => loadConfig({ DATA_DIR: dataDir(), REDIS_COMMAND_TIMEOUT_MS: 'soon' })).toThrow(ConfigError);
  });

  it('waits SHUTDOWN_DELAY_MS for load balancers in production only, unless told otherwise', () => {
    expect(loadConfig({ DATA_DIR: dataDir() }).shutdownDelayMs).toBe(0);
    expect(loadConfig({ DATA_DIR: dataDir(), ...production }).shutdownDelayMs).toBe(5000);
    expect(loadConfig({ DATA_DIR: dataDir(), ...production, SHUTDOWN_DELAY_MS: '0' }).shutdownDelayMs).toBe(0);
  });

  it('stages rotated keys longer than a key poll, and refuses a shorter activation delay', () => {
    expect(loadConfig({ DATA_DIR: dataDir() })).toMatchObject({ keyPollIntervalMs: 10_000, keyActivationDelayMs: 30_000 });
    expect(loadConfig({ DATA_DIR: dataDir(), KEY_POLL_INTERVAL_MS: '20000' }).keyActivationDelayMs).toBe(60_000);
    expect(() => loadConfig({ DATA_DIR: dataDir(), KEY_POLL_INTERVAL_MS: '5000', KEY_ACTIVATION_DELAY_MS: '5000' })).toThrow(
      /^KEY_ACTIVATION_DELAY_MS: must be longer than KEY_POLL_INTERVAL_MS/,
    );
  });
});
