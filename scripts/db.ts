/**
 * The embedded PostgreSQL (scripts/lib/embedded-postgres.ts), as `kafka:start|stop|status` are for the broker.
 *   npm run db:start | db:stop | db:status
 * start: starts it unless it runs, creates the `petstore` database, prints the DATABASE_URL to use it.
 * stop: a fast shutdown (clients disconnected, data kept). status: exit 0 when it runs and answers, else 1.
 * EMBEDDED_POSTGRES_PORT / EMBEDDED_POSTGRES_DIR choose its port and directory (see embedded-postgres.ts).
 */

import { DEFAULT_DATABASE_URL } from '../src/config/default-urls.ts';
import {
  embeddedPostgresStatus,
  startEmbeddedPostgres,
  stopEmbeddedPostgres,
} from './lib/embedded-postgres.ts';
import { postgresProblem } from './lib/postgres-probe.ts';

const say = (line: string) => process.stderr.write(`db: ${line}\n`);

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'start': {
      const url = await startEmbeddedPostgres(say);
      const { logFile, dataDir } = embeddedPostgresStatus();
      console.log(`db: embedded PostgreSQL up; data in ${dataDir}, log in ${logFile}`);
      console.log(`DATABASE_URL=${url}`);
      if (new URL(url).port !== '5432' && (await postgresProblem(DEFAULT_DATABASE_URL)) === null) {
        say(
          `another PostgreSQL answers on ${new URL(DEFAULT_DATABASE_URL).host}, and npm start uses that one while it answers; ` +
            'set DATABASE_URL as above to use the embedded one',
        );
      }
      return 0;
    }
    case 'stop': {
      const result = await stopEmbeddedPostgres();
      console.log(
        result.action === 'stopped'
          ? `db: stopped the embedded PostgreSQL (pid ${result.pid}); data kept`
          : 'db: the embedded PostgreSQL is not running',
      );
      return 0;
    }
    case 'status': {
      const { running, dataDir, logFile } = embeddedPostgresStatus();
      if (!running) {
        console.log(`db: the embedded PostgreSQL is not running (data in ${dataDir})`);
        return 1;
      }
      const problem = await postgresProblem(running.url);
      console.log(
        problem === null
          ? `db: embedded PostgreSQL up on 127.0.0.1:${running.port} (pid ${running.pid}); data in ${dataDir}, log in ${logFile}`
          : `db: embedded PostgreSQL pid ${running.pid} runs but does not answer: ${problem} (log in ${logFile})`,
      );
      return problem === null ? 0 : 1;
    }
    default:
      console.error('usage: tsx scripts/db.ts start | stop | status');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error: unknown) => {
    say(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
