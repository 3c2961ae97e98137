import { buildApp } from './app.ts';
import { loadConfigOrExit } from './config/load-config-or-exit.ts';
import { createLogger } from './infra/logger.ts';
import { onShutdownSignal } from './infra/shutdown.ts';

/** The service: GraphQL API plus, unless OUTBOX_RELAY_ENABLED=false, the outbox relay. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config);
  const app = buildApp({ config, logger });
  const { url } = await app.start();
  logger.info(
    { graphiql: `${url}/graphql`, dashboard: `${url}/` },
    `petstore-outbox is ready: GraphiQL at ${url}/graphql, dashboard at ${url}/`,
  );
  onShutdownSignal(logger, () => app.stop());
}

await main();
