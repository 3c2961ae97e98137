import { createRequire } from 'node:module';
import { type Logger, pino } from 'pino';
import type { Config } from '../config/env.ts';

export type { Logger };

/** pino-pretty is an optional dependency: a production install (`npm ci --omit=optional`) may lack it. */
function prettyPrinterInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/** JSON lines by default (what log shippers want); pino-pretty only when LOG_PRETTY asks for it. */
export function createLogger(config: Pick<Config, 'log' | 'serviceName'>): Logger {
  const pretty = config.log.pretty && prettyPrinterInstalled();
  const logger = pino({
    level: config.log.level,
    base: { service: config.serviceName },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true } } } : {}),
  });
  if (config.log.pretty && !pretty)
    logger.warn('LOG_PRETTY is set but pino-pretty is not installed: logging JSON');
  return logger;
}
