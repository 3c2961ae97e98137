import { createRequire } from 'node:module';
import { type Logger, pino } from 'pino';
import type { Config } from '../config/env.ts';
import { logRedaction } from './log-redaction.ts';

export type { Logger };

export type LogFormat = 'json' | 'pretty';

/**
 * JSON lines wherever a program reads the logs (a pipe, a file, a log shipper); pino-pretty where a
 * person does (a terminal), unless LOG_FORMAT says otherwise. pino-pretty is a development dependency:
 * where it is not installed the logs stay JSON, with one line saying why when pretty was asked for.
 */
export function chooseLogFormat({
  requested,
  stdoutIsTerminal,
  prettyInstalled,
}: {
  requested: Config['log']['format'];
  stdoutIsTerminal: boolean;
  prettyInstalled: boolean;
}): { format: LogFormat; warning?: string } {
  const wanted = requested === 'auto' ? (stdoutIsTerminal ? 'pretty' : 'json') : requested;
  if (wanted === 'pretty' && !prettyInstalled) {
    return requested === 'pretty'
      ? { format: 'json', warning: 'LOG_FORMAT=pretty, but pino-pretty is not installed: logging JSON lines' }
      : { format: 'json' };
  }
  return { format: wanted };
}

function pinoPrettyInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

export function createLogger(config: Pick<Config, 'log' | 'serviceName'>): Logger {
  const { format, warning } = chooseLogFormat({
    requested: config.log.format,
    stdoutIsTerminal: process.stdout.isTTY === true,
    prettyInstalled: pinoPrettyInstalled(),
  });
  const logger = pino({
    level: config.log.level,
    base: { service: config.serviceName },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...logRedaction,
    ...(format === 'pretty'
      ? {
          transport: {
            target: 'pino-pretty',
            // The service name is on every line of a JSON log; on a terminal it is noise.
            options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' },
          },
        }
      : {}),
  });
  if (warning) logger.warn(warning);
  return logger;
}
