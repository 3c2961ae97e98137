import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { eventContract } from '../src/events/contract.ts';
import { renderEventDocs } from '../src/events/event-docs.ts';

// npx tsx scripts/print-event-docs.ts: rewrites docs/events.md from the event schemas (commit the result).
const target = fileURLToPath(new URL('../docs/events.md', import.meta.url));
mkdirSync(fileURLToPath(new URL('../docs/', import.meta.url)), { recursive: true });
writeFileSync(target, renderEventDocs(eventContract));
console.log('wrote docs/events.md');
