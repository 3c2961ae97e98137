import { pino } from 'pino';
import { withoutPassword } from '../config/env.ts';

/**
 * Credentials never reach the logs: request headers and connection parameters carrying the admin
 * token, and anything named like a password or a connection string, are replaced wherever a log
 * line nests them (pino's paths allow one wildcard level per segment).
 */
export const REDACTED_LOG_PATHS = [
  'authorization',
  'Authorization',
  'password',
  'connectionString',
  'databaseUrl',
  '*.authorization',
  '*.Authorization',
  '*.password',
  '*.connectionString',
  '*.databaseUrl',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.*.authorization',
  '*.*.Authorization',
  '*.*.password',
];

/**
 * pino's error serializer, with any URL password in the message or stack masked (driver errors may
 * quote the URL). Some call sites log `err` as a plain message string; it is masked the same way.
 */
export function errorWithoutPasswords(error: unknown): unknown {
  if (typeof error === 'string') return withoutPassword(error);
  if (!(error instanceof Error)) return error;
  const serialized = pino.stdSerializers.err(error);
  if (typeof serialized.message === 'string') serialized.message = withoutPassword(serialized.message);
  if (typeof serialized.stack === 'string') serialized.stack = withoutPassword(serialized.stack);
  return serialized;
}

export const logRedaction = {
  redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
  serializers: { err: errorWithoutPasswords },
};
