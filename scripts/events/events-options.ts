import { parseArgs } from 'node:util';
import type { RecordFilter } from './record-filter.ts';

export const EVENTS_USAGE = `usage: npm run events -- [options]

Follows the product's Kafka topics (<KAFKA_TOPIC_PREFIX>.pets, .orders, .users) and prints one line per
message: topic[partition]@offset, event type, sequence, key, correlation id, event id; then the value.

  --from-beginning        every message still on the topics, then new ones (default: new ones only)
  --type <type>           only this event type; repeatable; "order.*" matches a prefix
  --aggregate <id>        only this aggregate id (or type/id, e.g. pet/4b1f...); repeatable
  --compact               the value as one JSON text on the header line
  --max <n>               exit after printing n messages
  --idle-exit <ms>        exit once no message has arrived for this long
  --brokers <list>        host:port,... (default: KAFKA_BROKERS, as the service reads it)
  --prefix <prefix>       topic prefix (default: KAFKA_TOPIC_PREFIX)
  -h, --help              this text

Stop with Ctrl-C.`;

export type EventsOptions = {
  fromBeginning: boolean;
  filter: RecordFilter;
  compact: boolean;
  max: number | null;
  idleExitMs: number | null;
  brokers: string[] | null;
  prefix: string | null;
  help: boolean;
};

function positiveInteger(name: string, raw: string | undefined): number | null {
  if (raw === undefined) return null;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) {
    throw new Error(`--${name} expects a positive whole number, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

/** Parses `npm run events` arguments; throws an Error whose message is meant for the user. */
export function parseEventsOptions(args: string[]): EventsOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      'from-beginning': { type: 'boolean', default: false },
      type: { type: 'string', multiple: true, default: [] },
      aggregate: { type: 'string', multiple: true, default: [] },
      compact: { type: 'boolean', default: false },
      max: { type: 'string' },
      'idle-exit': { type: 'string' },
      brokers: { type: 'string' },
      prefix: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const brokers = values.brokers
    ?.split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
  if (brokers && (brokers.length === 0 || !brokers.every((broker) => /^[\w.-]+:\d{1,5}$/.test(broker)))) {
    throw new Error(`--brokers expects host:port[,host:port...], got ${JSON.stringify(values.brokers)}`);
  }
  if (values.prefix !== undefined && !/^[a-zA-Z0-9._-]{1,100}$/.test(values.prefix)) {
    throw new Error(
      `--prefix expects letters, digits, ".", "_" or "-", got ${JSON.stringify(values.prefix)}`,
    );
  }
  return {
    fromBeginning: values['from-beginning'],
    filter: { types: values.type, aggregates: values.aggregate },
    compact: values.compact,
    max: positiveInteger('max', values.max),
    idleExitMs: positiveInteger('idle-exit', values['idle-exit']),
    brokers: brokers ?? null,
    prefix: values.prefix ?? null,
    help: values.help,
  };
}
