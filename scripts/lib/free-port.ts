import net from 'node:net';

/**
 * A TCP port that is free on `host` right now, chosen by the operating system. Another process could
 * take it before the caller binds it; callers that start a server on it report that clearly.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
