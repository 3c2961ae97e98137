import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import PrismaPlugin from '@pothos/plugin-prisma';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError, type GraphQLFieldResolver } from 'graphql';
import type PrismaTypes from '../generated/pothos-prisma-types.ts';
import { getDatamodel } from '../generated/pothos-prisma-types.ts';
import { isDatabaseUnavailable } from '../infra/database-unavailable.ts';
import type { Logger } from '../infra/logger.ts';
import { adminRequiredError } from './admin-errors.ts';
import type { GraphQLContext } from './context.ts';

declare global {
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      logUnexpectedErrors: LogUnexpectedErrorsPlugin<Types>;
    }
  }
}

type Resolver<Types extends SchemaTypes> = GraphQLFieldResolver<unknown, Types['Context'], object>;

/**
 * yoga masks every error that is not a GraphQLError, so clients see "Unexpected error." and never
 * SQL or a stack; this plugin keeps those errors from being lost by logging each one with the
 * request's logger, which carries the correlation id the client got back in `x-correlation-id`.
 * Listed first, it wraps outermost: errors the errors plugin turns into typed results never reach it.
 */
class LogUnexpectedErrorsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: Resolver<Types>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): Resolver<Types> {
    return logFailures(resolver, fieldConfig);
  }

  override wrapSubscribe(
    subscribe: Resolver<Types> | undefined,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ) {
    return subscribe && logFailures(subscribe, fieldConfig);
  }
}

function logFailures<Types extends SchemaTypes>(
  resolver: Resolver<Types>,
  fieldConfig: PothosOutputFieldConfig<Types>,
): Resolver<Types> {
  const field = `${fieldConfig.parentType}.${fieldConfig.name}`;
  const report = (error: unknown, context: unknown) => {
    if (error instanceof GraphQLError) return;
    const logger = (context as { logger?: Logger } | null)?.logger;
    // An outage fails every request at once: one short line each, not a stack trace each.
    if (isDatabaseUnavailable(error)) {
      logger?.warn(
        { err: (error as Error).message, field },
        'database unavailable (told the client to retry)',
      );
      return;
    }
    logger?.error({ err: error, field }, 'unexpected error (masked for the client)');
  };
  return (parent, args, context, info) => {
    try {
      const result = resolver(parent, args, context, info);
      if (result instanceof Promise) {
        return result.catch((error: unknown) => {
          report(error, context);
          throw error;
        });
      }
      return result;
    } catch (error) {
      report(error, context);
      throw error;
    }
  };
}

SchemaBuilder.registerPlugin('logUnexpectedErrors', LogUnexpectedErrorsPlugin);

/** Plugins, scalars and the context type; the types themselves live beside their domain. */
export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  PrismaTypes: PrismaTypes;
  AuthScopes: { admin: boolean };
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    Decimal: { Input: string; Output: string | { toFixed(digits: number): string } };
    JSON: { Input: unknown; Output: unknown };
  };
}>({
  // Scope auth first: no other plugin's wrapper runs for a caller who may not use the field.
  plugins: [ScopeAuthPlugin, 'logUnexpectedErrors', ErrorsPlugin, RelayPlugin, PrismaPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({ admin: ctx.caller.admin }),
    unauthorizedError: (_parent, ctx) => adminRequiredError(ctx.app.adminAuth.enabled),
  },
  prisma: {
    client: (ctx) => ctx.app.prisma,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    defaultConnectionSize: 20,
    maxConnectionSize: 100,
  },
  relay: {
    // Only connections are used; objects are fetched by their own ids (`pet(id)`, `order(id)`), not a global `node(id)`.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    clientMutationId: 'omit',
    cursorType: 'String',
  },
  errors: {
    // Only the project's own error classes become typed results; anything else stays masked.
    defaultTypes: [],
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
