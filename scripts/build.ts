import { build } from './lib/build.ts';

// npm run build: the production build (dist/), which `npm run serve` and `npm run relay` run on plain node.
const startedAt = Date.now();
build((line) => process.stderr.write(`[build] ${line}\n`));
process.stderr.write(
  `[build] compiled src/ into dist/ in ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`,
);
