/**
 * V8 settings the service's processes run with wherever they start from the production build
 * (`npm start`, `npm run serve`, `npm run relay`, the benchmark); package.json's `serve` and `relay`
 * scripts spell them out too (test/unit/service-node-flags.test.ts keeps them equal, and checks that
 * this node accepts them).
 *
 * `--heap-growing-percent=50`: after each full collection V8 lets the old generation grow to 1.5 times
 * what survived, instead of up to 4 times (its default on a machine with more than a few GB, chosen
 * for throughput). Heap snapshots put the server's live heap at about 30 MB idle, 50 MB under a
 * createPet load and 60 MB while 500 subscribers are fed; with the default factor the heap reached
 * 200 to 300 MB, mostly garbage, and the process 350 to 440 MB. With this factor the peaks were 190 MB
 * (mutations), 237 MB (500-subscriber fan-out) and 160 MB (relay drain), at no cost the benchmark could
 * tell from its run-to-run noise. Unlike a cap (`--max-old-space-size`) it never ends the process:
 * a live heap that grows (a backlog) only makes collections more frequent. A 128 MB cap held the
 * createPet load to 225 MB but made the fan-out collect almost continuously (delivery p99 5 s,
 * createPet errors) and ran out of memory when the feed still buffered its lagging subscribers.
 *
 * Not NODE_OPTIONS: node accepts only a few V8 flags there, and this is not one of them.
 */
export const SERVICE_NODE_FLAGS: readonly string[] = ['--heap-growing-percent=50'];
