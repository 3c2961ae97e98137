import { type Config, ConfigError, loadConfig } from './env.ts';

/**
 * For entry points: the configuration, or, when it is invalid, one line per problem on stderr and
 * exit code 78 (EX_CONFIG), with no stack trace: a configuration mistake is not a crash.
 */
export function loadConfigOrExit(): Readonly<Config> {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}
