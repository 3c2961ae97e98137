import { type Logger, pino } from 'pino';
import type { Config } from '../config/env.ts';
import { logRedaction } from './log-redaction.ts';

export type { Logger };

/** JSON lines by default (what log shippers want); pino-pretty only when LOG_PRETTY asks for it. */
export function createLogger(config: Pick<Config, 'log' | 'serviceName'>): Logger {
  return pino({
    level: config.log.level,
    base: { service: config.serviceName },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...logRedaction,
    ...(config.log.pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
}
