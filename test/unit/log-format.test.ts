import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.ts';
import { chooseLogFormat } from '../../src/infra/logger.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('LOG_FORMAT in the configuration', () => {
  test.each([
    [{}, 'auto'],
    [{ LOG_FORMAT: 'json' }, 'json'],
    [{ LOG_FORMAT: 'pretty' }, 'pretty'],
    [{ LOG_PRETTY: 'true' }, 'pretty'],
    [{ LOG_PRETTY: 'false' }, 'json'],
    [{ LOG_FORMAT: 'json', LOG_PRETTY: 'true' }, 'json'],
    [{ LOG_FORMAT: '' }, 'auto'],
  ])('%j → %s', (env, format) => {
    expect(loadConfig(env).log.format).toBe(format);
  });

  test('anything else is refused, naming the variable', () => {
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(ConfigError);
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });
});

describe('chooseLogFormat', () => {
  test.each([
    ['auto', true, true, 'pretty'],
    ['auto', false, true, 'json'],
    ['auto', true, false, 'json'],
    ['json', true, true, 'json'],
    ['pretty', false, true, 'pretty'],
  ] as const)(
    'requested %s, terminal %s, pino-pretty installed %s → %s',
    (requested, terminal, installed, format) => {
      expect(chooseLogFormat({ requested, stdoutIsTerminal: terminal, prettyInstalled: installed })).toEqual({
        format,
      });
    },
  );

  test('pretty asked for but pino-pretty missing: JSON, and a warning saying why', () => {
    expect(chooseLogFormat({ requested: 'pretty', stdoutIsTerminal: true, prettyInstalled: false })).toEqual({
      format: 'json',
      warning: expect.stringContaining('pino-pretty is not installed'),
    });
  });
});

/** A real logger in a child process: its stdout a pipe, or a pseudo-terminal made by util-linux `script`. */
function logOneLine(env: Record<string, string>, { terminal }: { terminal: boolean }): string {
  const program =
    "import { loadConfig } from './src/config/env.ts'; import { createLogger } from './src/infra/logger.ts';" +
    "createLogger(loadConfig()).info('hello from the logger');";
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', program];
  const command = terminal
    ? [
        'script',
        ['-q', '-e', '-c', node.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' '), '/dev/null'],
      ]
    : [node[0], node.slice(1)];
  const result = spawnSync(command[0] as string, command[1] as string[], {
    cwd: repoRoot,
    env: { ...process.env, LOG_FORMAT: '', LOG_PRETTY: '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

describe('the logger as a process sees it', () => {
  test('stdout a pipe: one JSON object per line', () => {
    const output = logOneLine({}, { terminal: false });
    expect(JSON.parse(output.trim())).toMatchObject({
      msg: 'hello from the logger',
      service: 'petstore-outbox',
    });
  });

  // `script` (util-linux) runs the process on a pseudo-terminal, as a terminal emulator would.
  test('stdout a terminal: readable text, unless LOG_FORMAT=json', () => {
    const pretty = logOneLine({}, { terminal: true });
    expect(pretty).toContain('hello from the logger');
    expect(pretty).toContain('INFO');
    expect(pretty).not.toContain('{"level"');
    const json = logOneLine({ LOG_FORMAT: 'json' }, { terminal: true });
    expect(JSON.parse(json.trim())).toMatchObject({ msg: 'hello from the logger' });
  });
});
