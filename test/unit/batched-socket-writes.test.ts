import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { batchSocketWrites } from '../../src/http/batched-socket-writes.ts';

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server socket wrapped as the HTTP server wraps it, and a client collecting what it receives. */
async function connectedPair(highWaterBytes?: number) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  const accepted = new Promise<WebSocket>((resolve) =>
    server.once('connection', (ws, request) => {
      batchSocketWrites(ws, request.socket, highWaterBytes);
      resolve(ws);
    }),
  );
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const received: string[] = [];
  client.on('message', (data) => received.push(String(data)));
  await new Promise((resolve) => client.once('open', resolve));
  return { serverSide: await accepted, received };
}

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('batched WebSocket writes', () => {
  test('a burst of sends arrives whole and in order, each sender told as soon as its message is queued', async () => {
    const { serverSide, received } = await connectedPair();
    const confirmed: number[] = [];
    for (let index = 0; index < 200; index += 1)
      serverSide.send(`message ${index}`, (error) => {
        expect(error).toBeUndefined();
        confirmed.push(index);
      });
    // Confirmed before the turn ends, while the messages still wait in the corked socket.
    await Promise.resolve();
    expect(confirmed).toHaveLength(200);
    expect(received).toHaveLength(0);
    await until(() => received.length === 200);
    expect(received).toEqual(Array.from({ length: 200 }, (_, index) => `message ${index}`));
  });

  test('past the high-water mark a sender waits until its message is written', async () => {
    const { serverSide, received } = await connectedPair(0);
    let confirmed = false;
    serverSide.send('one', () => {
      confirmed = true;
    });
    await Promise.resolve();
    expect(confirmed).toBe(false);
    await until(() => confirmed);
    await until(() => received.length === 1);
    expect(received).toEqual(['one']);
  });
});
