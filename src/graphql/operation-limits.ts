import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import type { Plugin } from 'graphql-yoga';

/**
 * What one operation may ask for. Every query the API's clients need stays far below these
 * (GraphiQL's introspection query is under 200 tokens); a document built to make the server parse,
 * validate or resolve without end is refused before execution. The token limit runs inside the
 * parser, so an oversized document is never even turned into an AST.
 */
export const OPERATION_LIMITS = {
  tokens: 2000,
  aliases: 15,
  depth: 10,
  cost: 5000,
  directives: 50,
} as const;

export function operationLimitPlugins(): Plugin[] {
  return [
    maxTokensPlugin({ n: OPERATION_LIMITS.tokens }),
    // Aliases of __typename count too (armor lets them through by default): each is still a field to resolve.
    maxAliasesPlugin({ n: OPERATION_LIMITS.aliases, allowList: [] }),
    maxDepthPlugin({ n: OPERATION_LIMITS.depth, flattenFragments: true }),
    costLimitPlugin({ maxCost: OPERATION_LIMITS.cost }),
    maxDirectivesPlugin({ n: OPERATION_LIMITS.directives }),
  ] as Plugin[];
}
