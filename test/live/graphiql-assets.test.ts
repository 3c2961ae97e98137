import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let testApp: TestApp;

beforeAll(async () => {
  testApp = await startTestApp();
});

afterAll(async () => {
  await testApp?.stop();
});

async function graphiqlPage(): Promise<string> {
  const response = await fetch(testApp.graphqlUrl, { headers: { accept: 'text/html' } });
  expect(response.status).toBe(200);
  return response.text();
}

/** The /graphiql/ paths the page refers to: its files and the workers named in its config. */
const assetPaths = (html: string) => [
  ...new Set([...html.matchAll(/\/graphiql\/[\w.-]+/g)].map((m) => m[0])),
];

describe("GraphiQL's page and files", () => {
  test('the page is small and names its script, stylesheet, workers and icon; yoga passes its options', async () => {
    const html = await graphiqlPage();
    expect(html.length).toBeLessThan(8 * 1024);
    expect(html).toContain('<title>petstore-outbox</title>');
    expect(html).toContain('"subscriptionsProtocol":"WS"');
    const paths = assetPaths(html);
    expect(paths).toContain('/graphiql/boot.js');
    expect(paths.filter((path) => /\.worker\.[0-9a-f]+\.js$/.test(path))).toHaveLength(3);
    expect(paths.filter((path) => path.endsWith('.css'))).toHaveLength(1);
    expect(paths.filter((path) => path.endsWith('.ico'))).toHaveLength(1);
  });

  test('every hashed file is served with a year-long immutable cache, gzipped when accepted', async () => {
    const hashed = assetPaths(await graphiqlPage()).filter((path) => path !== '/graphiql/boot.js');
    expect(hashed.length).toBeGreaterThanOrEqual(6);
    for (const path of hashed) {
      const plain = await fetch(`${testApp.url}${path}`, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.status, path).toBe(200);
      expect(plain.headers.get('cache-control'), path).toBe('public, max-age=31536000, immutable');
      expect(plain.headers.get('content-encoding'), path).toBeNull();
      const body = Buffer.from(await plain.arrayBuffer());
      expect(Number(plain.headers.get('content-length')), path).toBe(body.length);

      // Node's fetch decodes gzip itself; a raw request shows what went over the wire.
      const zipped = await new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
        import('node:http').then(({ get }) =>
          get(`${testApp.url}${path}`, { headers: { 'accept-encoding': 'gzip, br' } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }),
            );
          }).on('error', reject),
        );
      });
      expect(zipped.encoding, path).toBe('gzip');
      expect(gunzipSync(zipped.body).equals(body), path).toBe(true);
    }
  });

  test('the start-up script is revalidated; nothing outside the listed files is reachable', async () => {
    const boot = await fetch(`${testApp.url}/graphiql/boot.js`);
    expect(boot.status).toBe(200);
    expect(boot.headers.get('cache-control')).toBe('no-cache');
    expect(await boot.text()).toContain('renderYogaGraphiQL');

    for (const path of [
      '/graphiql/manifest.json',
      '/graphiql/../package.json',
      '/graphiql/%2e%2e/package.json',
    ]) {
      const response = await fetch(`${testApp.url}${path}`);
      expect(response.status, path).toBe(404);
    }
  });
});
