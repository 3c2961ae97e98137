/**
 * Attacks on the HTTP layer itself: slow-loris clients that never finish their headers, a flood of
 * idle connections, and pages that frame or sniff the API's responses.
 */
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp({
    OUTBOX_RELAY_ENABLED: 'false',
    HTTP_HEADERS_TIMEOUT: '1',
    HTTP_REQUEST_TIMEOUT: '2',
    HTTP_MAX_CONNECTIONS: '4',
  });
});

afterAll(async () => {
  await testApp?.stop();
});

function openSocket(): Promise<Socket> {
  const { hostname, port } = new URL(testApp.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Resolves with what the server sent once it closes the connection. */
function closedBy(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk) => {
    received += String(chunk);
  });
  socket.on('error', () => {});
  return new Promise((resolve) => socket.once('close', () => resolve(received)));
}

describe('slow clients', () => {
  test('a client that never finishes its headers is cut off', async () => {
    const socket = await openSocket();
    const closed = closedBy(socket);
    socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\n');
    // Trickles a header line now and then, as a slow-loris client does, and never ends the headers.
    const trickle = setInterval(() => socket.write('x-slow: 1\r\n'), 300);
    try {
      const received = await closed;
      expect(received).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(trickle);
    }
  });

  test('a client that never finishes its body is cut off', async () => {
    const socket = await openSocket();
    const closed = closedBy(socket);
    socket.write(
      'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"query":',
    );
    const trickle = setInterval(() => socket.write(' '), 300);
    try {
      expect(await closed).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(trickle);
    }
  });
});

describe('connection cap', () => {
  test('past HTTP_MAX_CONNECTIONS new connections are closed; once some go, others get in', async () => {
    const held = await Promise.all([openSocket(), openSocket(), openSocket(), openSocket()]);
    try {
      const extra = await openSocket();
      const closed = closedBy(extra);
      extra.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(await closed).toBe('');
    } finally {
      for (const socket of held) socket.destroy();
    }
    // The server notices the closed sockets shortly after.
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt += 1) {
      status = await fetch(`${testApp.url}/health`)
        .then((response) => response.status)
        .catch(() => 0);
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
  });
});

describe('security headers on /graphql', () => {
  test('GraphQL responses cannot be sniffed, framed or leak the referrer', async () => {
    const response = await fetch(testApp.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  test("GraphiQL's page runs only its own scripts: from this origin, or inline by hash", async () => {
    const response = await fetch(testApp.graphqlUrl, { headers: { accept: 'text/html' } });
    const html = await response.text();
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? '';
    expect(scriptSrc).not.toContain('unsafe-inline');
    expect(scriptSrc).not.toContain('*');
    const tags = [...html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)];
    expect(tags.length).toBeGreaterThan(0);
    for (const [, attributes = '', body = ''] of tags) {
      const src = /\ssrc\s*=\s*["']([^"']+)["']/i.exec(attributes)?.[1];
      if (src) {
        // Loaded from this server, which 'self' allows.
        expect(src.startsWith('/') && !src.startsWith('//')).toBe(true);
        expect(scriptSrc).toContain("'self'");
      } else {
        const hash = createHash('sha256').update(body, 'utf8').digest('base64');
        expect(scriptSrc).toContain(`'sha256-${hash}'`);
      }
    }
    expect(csp).toContain("frame-ancestors 'none'");
  });
});
