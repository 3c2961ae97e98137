import type { BenchContext } from './bench-context.ts';
import { type DrainResult, type DrainSpec, runDrain } from './relay-drain.ts';

export type ScaleResult = {
  /** The drain repeated with 1, 2, 4 relay instances (default batch size). */
  instances: DrainResult[];
  /** ... with each OUTBOX_BATCH_SIZE (one instance). */
  batchSizes: DrainResult[];
  /** ... over growing backlogs (one instance, default batch size): the cost curve. */
  backlogSizes: DrainResult[];
  errors: { label: string; error: string }[];
};

/**
 * The scale knobs, one varied at a time around the headline drain (whose result is reused where the
 * settings are the same, rather than measured twice).
 */
export async function runScaleKnobs(
  context: BenchContext,
  headline: DrainResult | null,
  batchSize: number,
): Promise<ScaleResult> {
  const { options } = context;
  const errors: ScaleResult['errors'] = [];
  const reuse = (spec: DrainSpec) =>
    headline &&
    headline.events === spec.events &&
    headline.instances === spec.instances &&
    headline.batchSize === spec.batchSize
      ? headline
      : null;
  async function drain(spec: DrainSpec): Promise<DrainResult | null> {
    const known = reuse(spec);
    if (known) {
      context.progress.say(`${spec.label}: same settings as the headline drain; reusing it`);
      return known;
    }
    try {
      return await runDrain(context, spec);
    } catch (error) {
      errors.push({ label: spec.label, error: (error as Error).message });
      context.progress.say(`${spec.label}: FAILED: ${(error as Error).message}`);
      return null;
    }
  }
  const results = async (specs: DrainSpec[]) => {
    const done: DrainResult[] = [];
    for (const spec of specs) {
      const result = await drain(spec);
      if (result) done.push(result);
    }
    return done;
  };
  const events = options.scaleEvents;
  return {
    instances: await results(
      options.relayInstances.map((instances) => ({
        label: `scale-instances-${instances}`,
        events,
        instances,
        batchSize,
      })),
    ),
    batchSizes: await results(
      options.batchSizes.map((size) => ({
        label: `scale-batch-${size}`,
        events,
        instances: 1,
        batchSize: size,
      })),
    ),
    backlogSizes: await results(
      options.costCurve.map((size) => ({
        label: `scale-backlog-${size}`,
        events: size,
        instances: 1,
        batchSize,
      })),
    ),
    errors,
  };
}
