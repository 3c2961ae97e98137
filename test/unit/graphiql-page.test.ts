import { describe, expect, test } from 'vitest';
import { renderGraphiQLPage } from '../../src/graphql/graphiql-page.ts';
import type { GraphiQLManifest } from '../../src/http/graphiql-manifest.ts';

const manifest: GraphiQLManifest = {
  renderGraphiqlVersion: '0.0.0',
  script: 'graphiql.aaaa.js',
  stylesheet: 'graphiql.bbbb.css',
  favicon: 'favicon.cccc.ico',
  workers: { editorWorkerService: 'editor.dddd.js', json: 'json.eeee.js', graphql: 'graphql.ffff.js' },
};

function configOf(html: string): { options: Record<string, unknown>; workers: Record<string, string> } {
  const json = /<script type="application\/json" id="graphiql-config">([^<]*)<\/script>/.exec(html)?.[1];
  if (json === undefined) throw new Error(`no config element in ${html}`);
  return JSON.parse(json);
}

describe("GraphiQL's page", () => {
  test('hands every option yoga passes to GraphiQL, and names the files by their hashed names', () => {
    const options = {
      title: 'petstore',
      subscriptionsProtocol: 'WS' as const,
      defaultQuery: 'query { outboxMetrics { pending } }',
      headers: '{"x-correlation-id": "abc"}',
    };
    const html = renderGraphiQLPage(options, manifest);
    expect(configOf(html)).toEqual({
      options,
      workers: {
        editorWorkerService: '/graphiql/editor.dddd.js',
        json: '/graphiql/json.eeee.js',
        graphql: '/graphiql/graphql.ffff.js',
      },
    });
    expect(html).toContain('<script src="/graphiql/graphiql.aaaa.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/graphiql/graphiql.bbbb.css">');
    expect(html).toContain('<link rel="icon" href="/graphiql/favicon.cccc.ico">');
    expect(html.length).toBeLessThan(4096);
  });

  test('option values cannot break out of the page: they stay data', () => {
    const hostile = '</script><script>alert(1)</script><!--';
    const html = renderGraphiQLPage(
      { title: `<b>${hostile}`, defaultQuery: hostile, headers: hostile },
      manifest,
    );
    const config = configOf(html);
    expect(config.options.defaultQuery).toBe(hostile);
    expect(config.options.headers).toBe(hostile);
    expect(html).toContain('<title>&lt;b&gt;&lt;/script&gt;');
    // The only scripts are the config element and the two files.
    expect(html.match(/<script/g)).toHaveLength(3);
  });

  test('says how to get the files when they were never extracted', () => {
    const html = renderGraphiQLPage({ title: 'petstore' }, null);
    expect(html).toContain('npm run generate');
    expect(html).not.toContain('<script');
  });
});
