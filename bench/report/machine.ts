import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import pg from 'pg';
import { kafkaStatus } from '../../scripts/kafka/broker.ts';
import { REPO_ROOT } from '../infra/repo-paths.ts';

export type MachineInfo = {
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
  kafka: string;
  java: string;
  gitCommit: string;
  /** Uncommitted changes were present: the figures belong to the working tree, not to the commit alone. */
  gitDirty: boolean;
};

function run(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

export async function describeMachine(maintenanceUrl: string): Promise<MachineInfo> {
  const client = new pg.Client({ connectionString: maintenanceUrl });
  await client.connect();
  const postgres =
    (await client.query<{ version: string }>('SELECT version()')).rows[0]?.version ?? 'unknown';
  await client.end();
  const kafka = await kafkaStatus().catch(() => null);
  // java -version answers on stderr.
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const javaVersion = java.error ? 'not installed' : (java.stderr.split('\n')[0] ?? 'unknown');
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    postgres: postgres.split(' on ')[0] ?? postgres,
    kafka: kafka?.up
      ? `Apache Kafka ${kafka.version ?? '(not managed by scripts/kafka)'} at ${kafka.broker}`
      : 'unknown',
    java: javaVersion,
    gitCommit: run('git', ['rev-parse', '--short', 'HEAD']),
    gitDirty: run('git', ['status', '--porcelain']).length > 0,
  };
}
