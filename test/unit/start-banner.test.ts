import { describe, expect, test } from 'vitest';
import { describeDatabaseUrl, formatStartBanner } from '../../scripts/lib/start-banner.ts';

const embedded = {
  url: 'postgresql://postgres:postgres@127.0.0.1:41871/petstore',
  origin: 'embedded-started' as const,
  log: '.postgres/postgres.log',
};
const projectKafka = {
  brokers: '127.0.0.1:9092',
  origin: 'project-started' as const,
  version: '4.4.0',
  pid: 4242,
  log: '.kafka/data/server.log',
};

describe('formatStartBanner', () => {
  test('names the URLs, what runs underneath with its logs, and how to stop everything', () => {
    const banner = formatStartBanner({
      baseUrl: 'http://127.0.0.1:8080',
      postgres: embedded,
      kafka: projectKafka,
    });
    expect(banner).toContain('http://127.0.0.1:8080/graphql');
    expect(banner).toMatch(/Dashboard +http:\/\/127\.0\.0\.1:8080\/\n/);
    expect(banner).toContain('http://127.0.0.1:8080/metrics');
    expect(banner).toMatch(
      /PostgreSQL +127\.0\.0\.1:41871\/petstore, the embedded PostgreSQL started now; log \.postgres\/postgres\.log/,
    );
    expect(banner).toMatch(
      /Kafka +127\.0\.0\.1:9092, the project's broker \(Kafka 4\.4\.0, pid 4242\) started now; log \.kafka\/data\/server\.log/,
    );
    expect(banner).toContain('npm run studio');
    expect(banner).toContain('Ctrl-C');
    expect(banner).toContain('npm run db:stop, npm run kafka:stop');
    expect(banner).toMatch(/Sample data +npm run demo\n/);
  });

  test('never prints the database password', () => {
    const banner = formatStartBanner({ baseUrl: null, postgres: embedded, kafka: projectKafka });
    expect(banner).not.toContain('postgres:postgres@');
    expect(describeDatabaseUrl('postgresql://app:s3cret@db.internal/shop')).toBe('db.internal:5432/shop');
  });

  test("says when PostgreSQL and Kafka are the user's own, and then offers no stop command for them", () => {
    const banner = formatStartBanner({
      baseUrl: 'http://127.0.0.1:9000',
      postgres: { url: 'postgresql://postgres@127.0.0.1:5432/petstore', origin: 'found-running' },
      kafka: { brokers: 'broker.internal:9092', origin: 'configured' },
    });
    expect(banner).toContain('127.0.0.1:5432/petstore, found running');
    expect(banner).toContain('broker.internal:9092, from KAFKA_BROKERS');
    expect(banner).not.toContain('db:stop');
    expect(banner).not.toContain('kafka:stop');
    expect(banner).toContain('npm run demo -- --url http://127.0.0.1:9000');
  });

  test('with a port chosen at start, points at the ready line instead of guessing', () => {
    const banner = formatStartBanner({ baseUrl: null, postgres: embedded, kafka: projectKafka });
    expect(banner).toContain('<the URL in the ready line>/graphql');
  });

  test('says whether the admin operations are open, and where the credential goes', () => {
    const off = formatStartBanner({ baseUrl: null, postgres: embedded, kafka: projectKafka });
    expect(off).toMatch(/Admin +.*off until ADMIN_TOKEN is set/);
    const on = formatStartBanner({
      baseUrl: null,
      postgres: embedded,
      kafka: projectKafka,
      adminToken: true,
    });
    expect(on).toContain('Authorization: Bearer <ADMIN_TOKEN>');
    expect(on).not.toContain('off until');
  });

  test('with GraphiQL turned off, says so instead of pointing at it', () => {
    const banner = formatStartBanner({
      baseUrl: 'http://127.0.0.1:8080',
      postgres: embedded,
      kafka: projectKafka,
      graphiql: false,
    });
    expect(banner).toMatch(/GraphiQL +off \(GRAPHIQL_ENABLED=true turns it on\)/);
  });
});
