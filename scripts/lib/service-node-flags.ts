/**
 * V8 settings the service process runs with, wherever it is started from the production build
 * (`npm start`, `npm run serve`, the benchmark); package.json's `serve` script spells them out too
 * (test/unit/service-node-flags.test.ts keeps the two equal).
 *
 * The old generation is capped at 128 MB. The server's live heap is about 30 MB idle and 45 MB at
 * the peak of a createPet load (heap snapshots, bench report), but under a high allocation rate V8
 * lets the old generation grow to about four times the live size before it collects: 170 MB of
 * heap, most of it garbage, and 300 MB RSS. Capped, it collects sooner (a major GC every few
 * thousand requests) and the peak RSS stays near 220 MB, with almost three times the live peak
 * still free.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--max-old-space-size=128'];
