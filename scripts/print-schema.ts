import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { printedSchema } from '../src/graphql/print-schema.ts';

// npm run schema:print: rewrites schema.graphql from the code (commit the result).
const target = fileURLToPath(new URL('../schema.graphql', import.meta.url));
writeFileSync(target, printedSchema());
console.log('wrote schema.graphql');
