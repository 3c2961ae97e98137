import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Wakes the relays once a mutation operation has run: its transactions committed before its
 * resolvers returned, so the events they wrote are there to claim. No trigger does this any more:
 * a NOTIFY inside the business transaction would serialise every writer's commit
 * (src/outbox/announcer.ts). Every mutation announces, with or without events: announcements
 * coalesce, and one that finds nothing costs the relays one empty claim.
 */
export function announceAfterMutations(announce: () => void): Plugin {
  return {
    onExecute({ args }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'mutation') return;
      return { onExecuteDone: announce };
    },
  };
}
