import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { portInUse } from '../../lib/port-in-use.ts';
import { linesSince } from '../../lib/process/log-file.ts';
import { displayPath } from '../../lib/repo-path.ts';
import { javaBin, jvmFlags } from './configuration.ts';
import { KAFKA_HOST, type KafkaPaths, type ResolvedInstance } from './instance.ts';

/** Starts the broker JVM detached (own process group, no stdio ties), so it outlives the calling process. */
export async function launch(version: string, p: KafkaPaths): Promise<ChildProcess & { pid: number }> {
  const out = fs.openSync(p.jvmLog, 'a');
  try {
    const child = spawn(
      javaBin(),
      ['-Xmx512m', '-Xms512m', '-XX:+UseG1GC', ...jvmFlags(version, p), 'kafka.Kafka', p.props],
      { cwd: p.data, detached: true, stdio: ['ignore', out, out] },
    );
    child.unref();
    await new Promise((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err) => reject(new Error(`could not run ${javaBin()}: ${err.message}`)));
    });
    fs.writeFileSync(p.pidFile, `${child.pid}\n`);
    return child as ChildProcess & { pid: number };
  } finally {
    fs.closeSync(out);
  }
}

/**
 * What went wrong in this boot: its ERROR/FATAL lines with the exception message under each (the shutdown
 * that follows a fatal error fills the tail with noise), then the last lines of the log and of JVM output.
 */
export function bootFailureReport(p: KafkaPaths, serverLogFrom: number, jvmLogFrom: number): string {
  const lines = linesSince(p.serverLog, serverLogFrom);
  const errors = lines.flatMap((line, i) => {
    if (!/^\[[^\]]+\] (ERROR|FATAL) /.test(line)) return [];
    const next = lines[i + 1] ?? '';
    return next && !next.startsWith('[') && !/^\s+at /.test(next) ? [line, `    ${next}`] : [line];
  });
  return [
    `--- errors in ${displayPath(p.serverLog)} ---`,
    ...(errors.length ? errors.slice(0, 16) : ['(none)']),
    `--- tail of ${displayPath(p.serverLog)} ---`,
    ...lines.slice(-10),
    `--- tail of ${displayPath(p.jvmLog)} ---`,
    ...linesSince(p.jvmLog, jvmLogFrom).slice(-15),
  ].join('\n');
}

/** Fail fast with a clear message instead of booting a JVM that dies on "Address already in use". */
export async function assertPortsFree(instance: ResolvedInstance): Promise<void> {
  for (const port of [instance.port, instance.controllerPort]) {
    if (port !== undefined && (await portInUse(KAFKA_HOST, port))) {
      throw new Error(
        `${KAFKA_HOST}:${port} is taken by a process that does not answer as a Kafka broker; ` +
          `free it (ss -ltnp 'sport = :${port}') and retry`,
      );
    }
  }
}
