import type { EventRecord } from './decode-message.ts';

export type RecordFilter = {
  /** Event types; `order.*` matches every type starting with `order.`. Empty: all. */
  types: readonly string[];
  /** Aggregate ids, or `type/id` (e.g. `pet/4b1f…`). Empty: all. */
  aggregates: readonly string[];
};

function typeMatches(pattern: string, eventType: string | null): boolean {
  if (eventType === null) return false;
  return pattern.endsWith('*') ? eventType.startsWith(pattern.slice(0, -1)) : eventType === pattern;
}

function aggregateMatches(wanted: string, record: EventRecord): boolean {
  if (record.aggregateId === null) return false;
  const slash = wanted.indexOf('/');
  if (slash < 0) return record.aggregateId === wanted;
  return record.aggregateType === wanted.slice(0, slash) && record.aggregateId === wanted.slice(slash + 1);
}

/** True when the record passes every given filter (a filter with several values passes on any of them). */
export function matchesFilter(record: EventRecord, filter: RecordFilter): boolean {
  const typeOk =
    filter.types.length === 0 || filter.types.some((type) => typeMatches(type, record.eventType));
  const aggregateOk =
    filter.aggregates.length === 0 || filter.aggregates.some((wanted) => aggregateMatches(wanted, record));
  return typeOk && aggregateOk;
}
