import { GraphQLError } from 'graphql';
import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { isDatabaseUnavailable } from '../../src/infra/database-unavailable.ts';

/** A pg DatabaseError as the driver builds it from a server's ErrorResponse. */
function serverError(code: string, message: string): pg.DatabaseError {
  const error = new pg.DatabaseError(message, message.length, 'error');
  error.code = code;
  error.severity = 'FATAL';
  return error;
}

function socketError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, errno: -1, syscall: 'connect' });
}

describe('isDatabaseUnavailable', () => {
  test.each([
    [
      'a restart or failover (57P01)',
      serverError('57P01', 'terminating connection due to administrator command'),
    ],
    [
      'a crash shutdown (57P02)',
      serverError('57P02', 'terminating connection due to crash of another server process'),
    ],
    ['a server starting up (57P03)', serverError('57P03', 'the database system is starting up')],
    ['a connection exception (08006)', serverError('08006', 'connection failure')],
    ['too many connections (53300)', serverError('53300', 'sorry, too many clients already')],
    ['a refused connection', socketError('ECONNREFUSED')],
    ['a reset connection', socketError('ECONNRESET')],
    ['a connection pg saw end', new Error('Connection terminated unexpectedly')],
    [
      'a client pg marked broken',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    ['no pool connection in time', new Error('timeout exceeded when trying to connect')],
  ])('recognises %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  test('looks through the wrappings Prisma and GraphQL put around the driver error', () => {
    const prismaWrapped = Object.assign(new Error('Invalid `prisma.pet.create()` invocation'), {
      name: 'PrismaClientKnownRequestError',
      code: 'P2010',
      meta: { driverAdapterError: { cause: { originalCode: '57P01', kind: 'postgres' } } },
    });
    expect(isDatabaseUnavailable(prismaWrapped)).toBe(true);
    const transactionStart = Object.assign(
      new Error('Transaction API error: Unable to start a transaction'),
      {
        code: 'P2028',
      },
    );
    expect(isDatabaseUnavailable(new GraphQLError('wrapped', { originalError: transactionStart }))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(new Error('outer', { cause: socketError('ECONNREFUSED') }))).toBe(true);
    expect(
      isDatabaseUnavailable(new AggregateError([socketError('ECONNREFUSED'), socketError('ECONNREFUSED')])),
    ).toBe(true);
  });

  test.each([
    ['a unique violation', serverError('23505', 'duplicate key value violates unique constraint')],
    ['a syntax error', serverError('42601', 'syntax error at or near "SELEC"')],
    ['a missing table', serverError('42P01', 'relation "users" does not exist')],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a Prisma record-not-found', Object.assign(new Error('No record was found'), { code: 'P2025' })],
    ['not an error at all', 'Connection terminated'],
  ])('does not take %s for an outage', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  test('survives cycles in the error graph', () => {
    const first: Record<string, unknown> = { message: 'first' };
    const second: Record<string, unknown> = { message: 'second', cause: first };
    first.cause = second;
    expect(isDatabaseUnavailable(first)).toBe(false);
  });
});
