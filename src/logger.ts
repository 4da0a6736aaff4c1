// The structured JSON logger (pino). Secrets are redacted wherever they appear in a logged object.
// Lines go to stdout asynchronously: a synchronous write per access-log line was ~5 % of the main thread under load.
// pino flushes what is pending synchronously when the process exits (its exit handler), so shutdown loses nothing.
import { pino, type Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { Config } from './config/index.ts';

export type { Logger };

const REDACT = [
  'password',
  '*.password',
  'newPassword',
  '*.newPassword',
  'client_secret',
  '*.client_secret',
  'clientSecret',
  '*.clientSecret',
  'secret',
  '*.secret',
  'refreshToken',
  '*.refreshToken',
  'accessToken',
  '*.accessToken',
  // Not `code`: that would hide err.code (23505, ECONNREFUSED). Authorization codes are never logged as fields.
  'mfaToken',
  '*.mfaToken',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
];

/**
 * JSON lines, except in development on a terminal, where pino-pretty makes them readable (docs/operations.md, "Logs").
 * Log collectors read stdout through a pipe, never a TTY, so they always get JSON.
 */
export function createLogger(
  config: Pick<Config, 'logLevel'> & Partial<Pick<Config, 'env'>>,
  destination?: pino.DestinationStream,
): Logger {
  const pretty = destination === undefined && config.env === 'development' && process.stdout.isTTY === true;
  return pino(
    {
      level: config.logLevel,
      base: { service: 'gatehouse', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT, censor: '[redacted]' },
    },
    pretty
      ? pinoPretty({ ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss.l', sync: true })
      : (destination ?? pino.destination({ dest: 1, sync: false })),
  );
}
