import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * Bytes a socket may hold unsent before its sender is made to wait for the writes to finish. A
 * subscriber that reads slowly then stops pulling events, and the live feed keeps its backlog
 * (bounded, then read back from the table) instead of this process buffering messages without end.
 */
export const SOCKET_HIGH_WATER_BYTES = 256 * 1024;

type SendCallback = (error?: Error) => void;

/**
 * Coalesces a WebSocket's sends into one write per turn of the event loop, with backpressure per
 * socket. The live feed hands a page of events to every subscriber in one burst, and ws writes each
 * message to the socket at once: a system call per subscriber per event (500 subscribers at 500
 * events/s is 250,000 a second). Corked, the socket gathers the turn's frames and writes them
 * together when the turn ends; nothing is reordered.
 *
 * graphql-ws waits for each message's send callback before it takes the subscription's next event,
 * and a corked write completes only when the turn ends: one event per subscriber per turn. So below
 * the high-water mark the callback is called as soon as the message is queued (a write error then
 * closes the socket, which ends its subscriptions); above it, the callback waits for the write.
 */
export function batchSocketWrites(
  ws: WebSocket,
  socket: Duplex,
  highWaterBytes = SOCKET_HIGH_WATER_BYTES,
): void {
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  const send = ws.send.bind(ws) as (data: unknown, options: object | undefined, cb?: SendCallback) => void;
  ws.send = ((data: unknown, optionsOrCallback?: object | SendCallback, callback?: SendCallback) => {
    const options = typeof optionsOrCallback === 'function' ? undefined : optionsOrCallback;
    const done: SendCallback | undefined =
      typeof optionsOrCallback === 'function' ? (optionsOrCallback as SendCallback) : callback;
    if (!corked && socket.writable) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    if (done && ws.bufferedAmount < highWaterBytes) {
      send(data, options, ignoreWriteError);
      queueMicrotask(() => done());
      return;
    }
    send(data, options, done);
  }) as WebSocket['send'];
}

/** The socket's own 'error' and 'close' events report a failed write; graphql-ws then cleans up. */
function ignoreWriteError(): void {}
