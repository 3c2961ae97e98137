import getPort from 'get-port';

/**
 * A TCP port that is free on `host` right now, chosen by the operating system; get-port also never hands
 * out one port twice in a process within about 15 s. Another process could still take it before the
 * caller binds it; callers that start a server on it report that clearly.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return getPort({ host });
}
