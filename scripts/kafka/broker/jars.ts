import fs from 'node:fs';
import path from 'node:path';
import { execFileAsync, failureOutput } from '../../lib/process/exec.ts';
import { displayPath } from '../../lib/repo-path.ts';
import { infraDir, type KafkaPaths, majorOf } from './instance.ts';

/** The broker's jars, fetched from Maven Central with mvn through infra/kafka/pom.xml, once per version. */
export async function ensureJars(version: string, p: KafkaPaths, log: (line: string) => void): Promise<void> {
  if (fs.existsSync(path.join(p.lib, `kafka_2.13-${version}.jar`))) return;
  log(`fetching Kafka ${version} jars with mvn into ${displayPath(p.lib)}/ ...`);
  // Copy into a temp dir and rename, so an interrupted download never looks like a complete one.
  const tmp = `${p.lib}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const args = [
    '-B',
    '-q',
    '-f',
    path.join(infraDir, 'pom.xml'),
    `-Dkafka.version=${version}`,
    // 3.x logs through reload4j, 4.x through log4j2 (the pom's default profile).
    ...(majorOf(version) < 4 ? ['-Preload4j'] : []),
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${tmp}`,
  ];
  try {
    await execFileAsync('mvn', args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    // mvn 3.8 leaves ANSI codes in its output even with -B; failureOutput drops them.
    throw new Error(`mvn could not fetch Kafka ${version}:\n${failureOutput(err)}`);
  }
  fs.rmSync(p.lib, { recursive: true, force: true });
  fs.renameSync(tmp, p.lib);
}
