import pg from 'pg';
import type { Logger } from './logger.ts';

export type PgListener = { start(): Promise<void>; stop(): Promise<void> };

/**
 * A dedicated connection that LISTENs on some channels and reconnects when it is lost.
 * Notifications are only a hint to act sooner: every user also polls, and `onReconnect`
 * lets it catch up on what was missed while the connection was down.
 */
export function createPgListener({
  url,
  channels,
  logger,
  onNotification,
  onReconnect = () => {},
  reconnectDelayMs = 1000,
}: {
  url: string;
  channels: readonly string[];
  logger: Logger;
  onNotification: (channel: string, payload: string | undefined) => void;
  onReconnect?: () => void;
  reconnectDelayMs?: number;
}): PgListener {
  let client: pg.Client | null = null;
  let stopped = false;
  let reconnectTimer: NodeJS.Timeout | null = null;
  let connectedBefore = false;

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: url, application_name: 'petstore-outbox-listener' });
    next.on('notification', (message) => onNotification(message.channel, message.payload));
    next.on('error', (error) => {
      logger.warn({ err: error.message }, 'notification connection lost');
      scheduleReconnect(next);
    });
    next.on('end', () => scheduleReconnect(next));
    await next.connect();
    for (const channel of channels) await next.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    client = next;
    if (connectedBefore) onReconnect();
    connectedBefore = true;
  }

  function scheduleReconnect(lost: pg.Client): void {
    if (stopped || client !== lost || reconnectTimer) return;
    client = null;
    lost.end().catch(() => {});
    reconnectTimer = setTimeout(async () => {
      reconnectTimer = null;
      try {
        await connect();
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'notification connection: reconnect failed');
        const placeholder = new pg.Client();
        client = placeholder;
        scheduleReconnect(placeholder);
      }
    }, reconnectDelayMs);
  }

  return {
    async start() {
      stopped = false;
      try {
        await connect();
      } catch (error) {
        logger.warn(
          { err: (error as Error).message },
          'notification connection failed; polling only until it is back',
        );
        const placeholder = new pg.Client();
        client = placeholder;
        connectedBefore = true;
        scheduleReconnect(placeholder);
      }
    },
    async stop() {
      stopped = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = null;
      const current = client;
      client = null;
      await current?.end().catch(() => {});
    },
  };
}
