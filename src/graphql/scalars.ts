import { GraphQLError, Kind } from 'graphql';
import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { builder } from './builder.ts';

builder.addScalarType('DateTime', DateTimeResolver);
builder.addScalarType('JSON', JSONResolver);

const DECIMAL_PATTERN = /^-?\d{1,20}(\.\d{1,20})?$/;

/**
 * Money and other exact numbers travel as strings ("1200.00"), never as floats: a JSON number
 * would be parsed into a binary float by most clients. Input also accepts a literal number
 * written in the query, taken from its source text (not from a float) so no precision is lost.
 */
builder.scalarType('Decimal', {
  description: 'An exact decimal number, as a string such as "1200.00".',
  serialize: (value) => (typeof value === 'string' ? value : value.toFixed(2)),
  parseValue: (value) => {
    if (typeof value !== 'string' || !DECIMAL_PATTERN.test(value.trim())) {
      throw new GraphQLError('Decimal values are strings of digits such as "1200.00"', {
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    return value.trim();
  },
  parseLiteral: (ast) => {
    if (
      (ast.kind === Kind.STRING || ast.kind === Kind.FLOAT || ast.kind === Kind.INT) &&
      DECIMAL_PATTERN.test(ast.value)
    ) {
      return ast.value;
    }
    throw new GraphQLError('Decimal values are strings of digits such as "1200.00"', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  },
});
