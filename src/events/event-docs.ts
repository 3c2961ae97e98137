import { z } from 'zod';
import { type AggregateType, aggregateTopicNames } from '../outbox/topics.ts';
import type { EventDefinition } from './define-event.ts';

/** The payload's JSON Schema as consumers should read it. */
export function payloadJsonSchema(definition: EventDefinition): Record<string, unknown> {
  return z.toJSONSchema(definition.schema, {
    target: 'draft-2020-12',
    // The input view: it leaves `additionalProperties` open, which is the promise that matters to
    // consumers (fields may be added within a version), where the output view would forbid extras.
    io: 'input',
    override: ({ jsonSchema }) => {
      // zod spells out formats such as date-time and uuid as long regular expressions too; the
      // format says the same to a reader and to validators.
      if (typeof jsonSchema.format === 'string') delete jsonSchema.pattern;
      // z.number().int() adds JavaScript's safe-integer bounds, which say nothing about the data.
      if (jsonSchema.minimum === Number.MIN_SAFE_INTEGER) delete jsonSchema.minimum;
      if (jsonSchema.maximum === Number.MAX_SAFE_INTEGER) delete jsonSchema.maximum;
    },
  }) as Record<string, unknown>;
}

const json = (value: unknown) => JSON.stringify(value, null, 2);

function topicOf(aggregateType: AggregateType): string {
  return `<prefix>.${aggregateTopicNames[aggregateType]}`;
}

/**
 * docs/events.md: the event contract for consumers, generated from the same zod schemas that every
 * payload is parsed with before it is written to the outbox.
 */
export function renderEventDocs(contract: readonly EventDefinition[]): string {
  const aggregateTypes = Object.keys(aggregateTopicNames) as AggregateType[];
  const lines: string[] = [
    '# Event contract',
    '',
    '<!-- Generated from src/events/contract.ts by `npx tsx scripts/print-event-docs.ts`. Do not edit:',
    '     test/events/event-docs.test.ts fails when this file differs from what the code generates. -->',
    '',
    'Every business change writes its events to the transactional outbox in the same database',
    'transaction as the change; the relay then publishes them to Kafka. This file documents each',
    "event's **payload**: the `data` of the CloudEvents envelope (`KAFKA_MESSAGE_FORMAT=structured`, the",
    'default) or the whole message value (`binary`, `compact`). The metadata (event id, event type,',
    'aggregate type and id, per-aggregate sequence number, correlation id) travel in the envelope or in',
    'the message headers, as the README describes.',
    '',
    '## What consumers can rely on',
    '',
    "- The payload is UTF-8 JSON. Its `schemaVersion` is the version of the event's",
    '  schema below.',
    "- The message key is the aggregate id, so one aggregate's events share a partition and arrive in the",
    '  order of their `aggregate_sequence` header: 1, 2, 3, ... per aggregate, assigned inside the business',
    '  transaction. A gap means an event is still to come or was missed; a number seen twice is a redelivery',
    '  (delivery is at least once), so deduplicate on the event id or on (aggregate type, aggregate id, sequence).',
    "- Every payload carries the aggregate's whole state after the change (a snapshot), and order events",
    '  carry what they need of the pet, so a consumer never has to call back.',
    '- Money is an exact decimal string with two places (`"1200.00"`), never a JSON number. Timestamps are',
    '  ISO 8601 strings in UTC.',
    '- Within a version, fields are only ever added: ignore fields you do not know. Removing, renaming or',
    '  retyping a field is a new version of the event, announced here before it is published.',
    '- One transaction may write events of several aggregates (an order and its pet); each is numbered in',
    "  its own aggregate's sequence and published on its own aggregate's topic.",
    '',
    '## Topics',
    '',
    'One topic per aggregate type, under `KAFKA_TOPIC_PREFIX` (`<prefix>`, default `petstore`).',
    '',
    '| Topic | Aggregate type | Message key | Event types |',
    '| --- | --- | --- | --- |',
  ];
  for (const aggregateType of aggregateTypes) {
    const types = contract
      .filter((event) => event.aggregateType === aggregateType)
      .map((event) => `\`${event.type}\``);
    lines.push(
      `| \`${topicOf(aggregateType)}\` | \`${aggregateType}\` | ${aggregateType} id | ${types.join(', ')} |`,
    );
  }
  lines.push('', '## Events', '');
  for (const event of contract) {
    lines.push(`- [\`${event.type}\`](#${event.type.replace(/[^a-z0-9_]/g, '')}) (version ${event.version})`);
  }
  for (const event of contract) {
    lines.push(
      '',
      `### ${event.type}`,
      '',
      event.description,
      '',
      `- Version: ${event.version} (\`"schemaVersion": ${event.version}\`)`,
      `- Aggregate type: \`${event.aggregateType}\`; topic \`${topicOf(event.aggregateType)}\`; key: the ${event.aggregateType} id`,
      `- Emitted by: ${event.emittedBy}`,
      '',
      'Example payload:',
      '',
      '```json',
      json(event.schema.parse({ ...event.example, schemaVersion: event.version })),
      '```',
      '',
      '<details><summary>JSON Schema</summary>',
      '',
      '```json',
      json(payloadJsonSchema(event)),
      '```',
      '',
      '</details>',
    );
  }
  return `${lines.join('\n')}\n`;
}
