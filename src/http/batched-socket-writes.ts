import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

/**
 * One write per WebSocket per burst of messages, instead of one per message. graphql-ws sends each
 * "next" message on its own and waits for its write to finish before it takes the subscription's
 * next event, so a socket got one write system call per event, and a subscriber with events waiting
 * paid a round of the event loop for each (500 subscribers at 500 events/s: 250,000 writes a
 * second). Here a socket is corked at its first message of a burst and uncorked when the burst is
 * over (at the end of the current tick, after every promise reaction that followed): everything
 * sent to it meanwhile leaves in one writev.
 *
 * A send's callback therefore fires as soon as the message is buffered, not once it is written;
 * that is what lets graphql-ws hand over the next event within the same burst. The buffer stays
 * bounded: once a socket holds more than `maxBufferedBytes` that the kernel has not taken, callbacks
 * wait until it has drained, so a client that reads slowly stops pulling events (the published feed
 * then keeps only its place, and reads the gap back from the table when the client catches up)
 * instead of growing the server's memory. At most one message per subscription of the socket
 * is written past the limit: graphql-ws sends a subscription's next message only after the
 * callback of the one before.
 */
export type WebSocketWriteStats = {
  /** Bytes queued in this process for the sockets, not yet taken by the kernel. */
  bufferedBytes: number;
  /** Sockets whose senders wait for their client to read (past `maxBufferedBytes`). */
  heldBack: number;
};

type SendCallback = (error?: Error) => void;

type SocketBatch = {
  socket: WebSocket;
  raw: Socket;
  corked: boolean;
  /** Callbacks of sends past the limit, in order: released once the socket has drained (or closed). */
  held: SendCallback[];
  waitingForDrain: boolean;
};

export type SocketWriteBatcher = {
  /** Wraps the connection's send (after any wrapper that must see the message first). */
  attach(socket: WebSocket, raw: Socket): void;
  stats(): WebSocketWriteStats;
};

export function createSocketWriteBatcher({
  maxBufferedBytes,
}: {
  /** Bytes a socket may hold unsent before its senders are held back. */
  maxBufferedBytes: number;
}): SocketWriteBatcher {
  const open = new Set<SocketBatch>();
  /** Sockets corked during the current tick, uncorked together at its end. */
  let corked: SocketBatch[] = [];
  let flushScheduled = false;

  function release(batch: SocketBatch): void {
    const held = batch.held;
    batch.held = [];
    for (const callback of held) callback();
  }

  function releaseWhenDrained(batch: SocketBatch): void {
    if (batch.waitingForDrain) return;
    // Node sets writableNeedDrain once its buffer passes the stream's high-water mark, and emits
    // 'drain' when the buffer is empty again.
    if (!batch.raw.writableNeedDrain || batch.raw.destroyed) {
      release(batch);
      return;
    }
    batch.waitingForDrain = true;
    const done = () => {
      batch.raw.off('drain', done);
      batch.raw.off('close', done);
      batch.waitingForDrain = false;
      release(batch);
    };
    batch.raw.on('drain', done);
    batch.raw.on('close', done);
  }

  function flush(): void {
    const batches = corked;
    corked = [];
    flushScheduled = false;
    for (const batch of batches) {
      batch.corked = false;
      // ws corks and uncorks around each frame itself; this releases the outermost cork.
      batch.raw.uncork();
      if (batch.held.length > 0) releaseWhenDrained(batch);
    }
  }

  return {
    attach(socket, raw) {
      const send = socket.send.bind(socket) as (data: unknown, options: unknown, cb?: SendCallback) => void;
      const batch: SocketBatch = { socket, raw, corked: false, held: [], waitingForDrain: false };
      open.add(batch);
      socket.once('close', () => {
        open.delete(batch);
        // Nobody waits for a socket that is gone (graphql-ws ends its subscriptions on close).
        release(batch);
      });
      socket.send = ((data: unknown, options?: unknown, cb?: SendCallback) => {
        if (typeof options === 'function') {
          cb = options as SendCallback;
          options = {};
        }
        // Closing or closed: ws answers as it always does (with an error to the callback).
        if (socket.readyState !== socket.OPEN || raw.destroyed) {
          send(data, options ?? {}, cb);
          return;
        }
        if (!batch.corked) {
          raw.cork();
          batch.corked = true;
          corked.push(batch);
          if (!flushScheduled) {
            flushScheduled = true;
            process.nextTick(flush);
          }
        }
        // A failed write surfaces as the socket's error and close, which graphql-ws handles.
        send(data, options ?? {});
        if (!cb) return;
        // Once one callback waits, later ones wait behind it, so they keep their order.
        if (batch.held.length === 0 && socket.bufferedAmount <= maxBufferedBytes) cb();
        else batch.held.push(cb); // released after the flush, once the socket has drained
      }) as WebSocket['send'];
    },
    stats() {
      let bufferedBytes = 0;
      let heldBack = 0;
      for (const batch of open) {
        bufferedBytes += batch.socket.bufferedAmount;
        if (batch.held.length > 0) heldBack += 1;
      }
      return { bufferedBytes, heldBack };
    },
  };
}
