import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config/env.ts';
import { createLogger } from './infra/logger.ts';
import { onShutdownSignal } from './infra/shutdown.ts';

/** The service: GraphQL API plus, unless OUTBOX_RELAY_ENABLED=false, the outbox relay. */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const logger = createLogger(config);
  const app = buildApp({ config, logger });
  const { url } = await app.start();
  logger.info({ graphiql: `${url}/graphql` }, `petstore-outbox is ready: GraphiQL at ${url}/graphql`);
  onShutdownSignal(logger, () => app.stop());
}

await main();
