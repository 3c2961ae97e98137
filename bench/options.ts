import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DEFAULT_KAFKA_BROKER, DEFAULT_MAINTENANCE_DATABASE_URL } from '../src/config/default-urls.ts';

/**
 * The benchmark's own settings, read from flags and BENCH_* variables in this one place (the service's
 * settings stay in src/config/env.ts; the bench hands them to the processes it starts as environment).
 *
 * Flags win over variables: `--drain-events=50000` or `--drain-events 50000` ≙ `BENCH_DRAIN_EVENTS=50000`.
 * `--smoke` (or BENCH_SMOKE=1) swaps every default for a tiny one, so the harness itself can run in CI.
 */

export const SCENARIOS = ['drain', 'naive', 'latency', 'mutations', 'fanout', 'scale'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

const positive = z.coerce.number().int().positive();
const seconds = z.coerce.number().positive();
const positiveList = z
  .string()
  .transform((value) => value.split(',').map((part) => Number(part.trim())))
  .pipe(z.array(z.number().int().positive()).min(1));

type Defaults = {
  drainEvents: number;
  aggregates: number;
  naiveSeconds: number;
  latencyRate: number;
  latencySeconds: number;
  mutationConcurrency: number;
  mutationSeconds: number;
  warmupSeconds: number;
  fanoutSubscribers: number;
  fanoutRate: number;
  fanoutSeconds: number;
  relayInstances: number[];
  batchSizes: number[];
  costCurve: number[];
};

/** The sizes the published targets are stated for: 200k drain, 1M cost-curve point, 30 s steady loads, 500 subscribers. */
const FULL: Defaults = {
  drainEvents: 200_000,
  aggregates: 1000,
  naiveSeconds: 60,
  latencyRate: 1000,
  latencySeconds: 30,
  mutationConcurrency: 32,
  mutationSeconds: 30,
  warmupSeconds: 3,
  fanoutSubscribers: 500,
  fanoutRate: 500,
  fanoutSeconds: 30,
  relayInstances: [1, 2, 4],
  batchSizes: [100, 500, 1000],
  costCurve: [50_000, 200_000, 1_000_000],
};

/** Small enough to finish well inside two minutes on two cores, big enough to exercise every code path. */
const SMOKE: Defaults = {
  drainEvents: 2000,
  aggregates: 100,
  naiveSeconds: 3,
  latencyRate: 100,
  latencySeconds: 2,
  mutationConcurrency: 4,
  mutationSeconds: 2,
  warmupSeconds: 0.5,
  fanoutSubscribers: 10,
  fanoutRate: 50,
  fanoutSeconds: 2,
  relayInstances: [1, 2],
  batchSizes: [100, 500],
  costCurve: [1000, 2000],
};

const OptionsSchema = z.object({
  smoke: z.boolean(),
  out: z.string().min(1).optional(),
  only: z
    .string()
    .transform((value) => value.split(',').map((part) => part.trim()))
    .pipe(z.array(z.enum(SCENARIOS)).min(1))
    .optional(),
  databaseUrl: z.string().min(1).optional(),
  kafkaBrokers: z.string().min(1).default(DEFAULT_KAFKA_BROKER),
  drainEvents: positive.optional(),
  aggregates: positive.optional(),
  payloadBytes: positive.default(500),
  /** The relay's batch size for every drain but the batch-size knob; default: the service's own default. */
  batchSize: positive.optional(),
  naiveSeconds: seconds.optional(),
  latencyRate: positive.optional(),
  latencySeconds: seconds.optional(),
  mutationConcurrency: positive.optional(),
  mutationSeconds: seconds.optional(),
  warmupSeconds: seconds.optional(),
  fanoutSubscribers: positive.optional(),
  fanoutRate: positive.optional(),
  fanoutSeconds: seconds.optional(),
  relayInstances: positiveList.optional(),
  batchSizes: positiveList.optional(),
  costCurve: positiveList.optional(),
  /** Events per drain of the instance and batch-size knobs; default: drainEvents. */
  scaleEvents: positive.optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Starts the service processes with --cpu-prof; profiles land next to the report. */
  cpuProf: z.boolean().default(false),
  /** Keeps each scenario's database instead of dropping it (for EXPLAIN afterwards). */
  keepDatabases: z.boolean().default(false),
});

export type BenchOptions = Defaults & {
  smoke: boolean;
  out: string | undefined;
  scenarios: ScenarioName[];
  databaseUrl: string | undefined;
  kafkaBrokers: string;
  payloadBytes: number;
  batchSize: number | undefined;
  scaleEvents: number;
  logLevel: string;
  cpuProf: boolean;
  keepDatabases: boolean;
};

const FLAG_NAMES: Record<string, keyof z.input<typeof OptionsSchema>> = Object.fromEntries(
  Object.keys(OptionsSchema.shape).map((key) => [key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), key]),
) as Record<string, keyof z.input<typeof OptionsSchema>>;

const BOOLEAN_KEYS = new Set(['smoke', 'cpuProf', 'keepDatabases']);

const truthy = (value: string | undefined) => value !== undefined && /^(1|true|yes)$/i.test(value.trim());

/** `--name=value`, `--name value` and bare boolean flags, parsed by node:util; unknown flags are refused. */
function parseFlags(argv: readonly string[]): Record<string, string | boolean> {
  const options = Object.fromEntries(
    Object.entries(FLAG_NAMES).map(([flag, key]) => [
      flag,
      { type: BOOLEAN_KEYS.has(key) ? ('boolean' as const) : ('string' as const) },
    ]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    const known = Object.keys(FLAG_NAMES)
      .map((name) => `--${name}`)
      .join(' ');
    throw new Error(`${(error as Error).message}\nknown flags: ${known}`);
  }
  const flags: Record<string, string | boolean> = {};
  for (const [flag, value] of Object.entries(values)) {
    const key = FLAG_NAMES[flag];
    if (key !== undefined && value !== undefined) flags[key] = value;
  }
  return flags;
}

function fromEnvironment(env: NodeJS.ProcessEnv): Record<string, string | boolean> {
  const values: Record<string, string | boolean> = {};
  for (const [flag, key] of Object.entries(FLAG_NAMES)) {
    const name = `BENCH_${flag.replaceAll('-', '_').toUpperCase()}`;
    const value = env[name];
    if (value === undefined || value.trim() === '') continue;
    values[key] = BOOLEAN_KEYS.has(key) ? truthy(value) : value;
  }
  // The test setup's variable names the same server; KAFKA_BROKERS is the service's own name for the broker.
  if (values.databaseUrl === undefined && env.TEST_DATABASE_URL) values.databaseUrl = env.TEST_DATABASE_URL;
  if (values.kafkaBrokers === undefined && env.KAFKA_BROKERS) values.kafkaBrokers = env.KAFKA_BROKERS;
  return values;
}

export function parseBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const merged = {
    smoke: false,
    cpuProf: false,
    keepDatabases: false,
    ...fromEnvironment(env),
    ...parseFlags(argv),
  };
  const parsed = OptionsSchema.safeParse(merged);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `  ${issue.path.join('.') || '(options)'}: ${issue.message}`,
    );
    throw new Error(`Invalid bench options:\n${problems.join('\n')}`);
  }
  const given = parsed.data;
  const defaults = given.smoke ? SMOKE : FULL;
  const drainEvents = given.drainEvents ?? defaults.drainEvents;
  return {
    smoke: given.smoke,
    out: given.out,
    scenarios: given.only ?? [...SCENARIOS],
    databaseUrl: given.databaseUrl,
    kafkaBrokers: given.kafkaBrokers,
    payloadBytes: given.payloadBytes,
    batchSize: given.batchSize,
    drainEvents,
    aggregates: given.aggregates ?? defaults.aggregates,
    naiveSeconds: given.naiveSeconds ?? defaults.naiveSeconds,
    latencyRate: given.latencyRate ?? defaults.latencyRate,
    latencySeconds: given.latencySeconds ?? defaults.latencySeconds,
    mutationConcurrency: given.mutationConcurrency ?? defaults.mutationConcurrency,
    mutationSeconds: given.mutationSeconds ?? defaults.mutationSeconds,
    warmupSeconds: given.warmupSeconds ?? defaults.warmupSeconds,
    fanoutSubscribers: given.fanoutSubscribers ?? defaults.fanoutSubscribers,
    fanoutRate: given.fanoutRate ?? defaults.fanoutRate,
    fanoutSeconds: given.fanoutSeconds ?? defaults.fanoutSeconds,
    relayInstances: given.relayInstances ?? defaults.relayInstances,
    batchSizes: given.batchSizes ?? defaults.batchSizes,
    costCurve: given.costCurve ?? defaults.costCurve,
    scaleEvents: given.scaleEvents ?? drainEvents,
    logLevel: given.logLevel,
    cpuProf: given.cpuProf,
    keepDatabases: given.keepDatabases,
  };
}

export const USAGE = `npm run bench -- [--smoke] [--only=drain,naive,latency,mutations,fanout,scale] [--out=DIR]
  sizes: --drain-events --aggregates --payload-bytes --batch-size --naive-seconds
         --latency-rate --latency-seconds --mutation-concurrency --mutation-seconds --warmup-seconds
         --fanout-subscribers --fanout-rate --fanout-seconds
         --relay-instances=1,2,4 --batch-sizes=100,500,1000 --cost-curve=50000,200000,1000000 --scale-events
  other: --database-url (maintenance DB, default ${DEFAULT_MAINTENANCE_DATABASE_URL})
         --kafka-brokers --log-level --cpu-prof --keep-databases
Every flag also reads from BENCH_<NAME> (e.g. BENCH_DRAIN_EVENTS=50000, BENCH_SMOKE=1).`;
