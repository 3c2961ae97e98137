import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * Coalesces a WebSocket's sends into one write per turn of the event loop. The live feed hands a
 * page of events to every subscriber in one burst of microtasks, and ws writes each message to the
 * socket at once: one system call per subscriber per event (500 subscribers at 500 events/s is
 * 250,000 calls a second, each a wake-up of the reader). Corked, the socket gathers the burst's
 * frames and writes them together when the turn ends (one writev per subscriber per burst);
 * nothing is reordered and nothing waits longer than the rest of the current turn.
 */
export function batchSocketWrites(ws: WebSocket, socket: Duplex): void {
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  const send = ws.send.bind(ws) as (...args: unknown[]) => void;
  ws.send = ((...args: unknown[]) => {
    if (!corked && socket.writable) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    send(...args);
  }) as WebSocket['send'];
}
