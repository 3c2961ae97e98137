/**
 * Local Kafka broker without Docker (see scripts/kafka/broker.ts).
 *   tsx scripts/kafka.ts start [--fresh] | stop | restart | status
 * status exits 0 when a broker answers on 127.0.0.1:9092, 1 otherwise; other commands exit 1 on failure.
 */
import { kafkaStatus, restartKafka, type StartKafkaResult, startKafka, stopKafka } from './kafka/broker.ts';

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const progress = (line: string) => console.error(`kafka: ${line}`);

function describeStart(r: StartKafkaResult): string {
  const what = r.version ? `Kafka ${r.version}` : 'a broker not started by this script';
  const pid = r.pid ? ` (pid ${r.pid})` : '';
  return r.action === 'started'
    ? `kafka: started Kafka ${r.version} on ${r.broker}${pid} in ${seconds(r.ms)}`
    : `kafka: already running on ${r.broker}: ${what}${pid} (checked in ${seconds(r.ms)})`;
}

async function main(command: string | undefined, flags: string[]): Promise<number> {
  switch (command) {
    case 'start':
      console.log(describeStart(await startKafka({ fresh: flags.includes('--fresh'), log: progress })));
      return 0;
    case 'restart':
      console.log(describeStart(await restartKafka({ fresh: flags.includes('--fresh'), log: progress })));
      return 0;
    case 'stop': {
      const r = await stopKafka();
      const messages = {
        stopped: `stopped broker pid ${r.pid}`,
        killed: `broker pid ${r.pid} ignored SIGTERM; killed it`,
        'not-running': 'no broker running',
        'not-managed': 'a broker answers on 127.0.0.1:9092 but was not started by this script; left it alone',
      };
      console.log(`kafka: ${messages[r.action]} (${seconds(r.ms)})`);
      return r.action === 'not-managed' ? 1 : 0;
    }
    case 'status': {
      const s = await kafkaStatus();
      const owner = s.pid ? `Kafka ${s.version} (pid ${s.pid})` : 'not started by this script';
      console.log(
        s.up
          ? `kafka: up on ${s.broker}, ${owner}`
          : `kafka: down${s.pid ? ` (pid ${s.pid} alive but not answering yet)` : ''}`,
      );
      return s.up ? 0 : 1;
    }
    default:
      console.error('usage: tsx scripts/kafka.ts start [--fresh] | stop | restart [--fresh] | status');
      return 2;
  }
}

main(process.argv[2], process.argv.slice(3)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`kafka: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
