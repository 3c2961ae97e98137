import { describe, expect, test } from 'vitest';
import { withoutPassword } from '../../src/config/env.ts';
import { createAdminAuthenticator } from '../../src/http/admin-credential.ts';
import { createOriginPolicy } from '../../src/http/origin-policy.ts';
import { inlineScriptHashes } from '../../src/http/security-headers.ts';
import { singleFlight } from '../../src/http/single-flight.ts';
import { operationNameLabel } from '../../src/metrics/graphql-metrics-plugin.ts';

const TOKEN = 'x'.repeat(40);

describe('createAdminAuthenticator', () => {
  const auth = createAdminAuthenticator(TOKEN);

  test('knows the token only as a bearer credential', () => {
    expect(auth.identify(`Bearer ${TOKEN}`)).toEqual({ admin: true, principal: 'admin' });
    expect(auth.identify(`bearer   ${TOKEN}`).admin).toBe(true);
    for (const wrong of [
      TOKEN,
      `Bearer ${TOKEN}y`,
      `Bearer ${TOKEN.slice(1)}`,
      `Basic ${TOKEN}`,
      '',
      null,
      42,
      {},
    ]) {
      expect(auth.identify(wrong).admin).toBe(false);
    }
  });

  test('without a token nobody is an admin', () => {
    const disabled = createAdminAuthenticator(null);
    expect(disabled.enabled).toBe(false);
    expect(disabled.identify('Bearer ').admin).toBe(false);
    expect(disabled.identify(`Bearer ${TOKEN}`).admin).toBe(false);
  });
});

describe('createOriginPolicy', () => {
  const policy = createOriginPolicy(['https://shop.example.com']);

  test('allows no Origin, the same host and listed origins; nothing else', () => {
    expect(policy.allows(undefined, 'api.example.com')).toBe(true);
    expect(policy.allows('https://api.example.com', 'api.example.com')).toBe(true);
    expect(policy.allows('http://API.example.com', 'api.example.com')).toBe(true);
    expect(policy.allows('https://shop.example.com', 'api.example.com')).toBe(true);
    expect(policy.allows('https://evil.example', 'api.example.com')).toBe(false);
    expect(policy.allows('https://api.example.com.evil.example', 'api.example.com')).toBe(false);
    expect(policy.allows('null', 'api.example.com')).toBe(false);
    expect(policy.allows('https://api.example.com', undefined)).toBe(false);
    expect(policy.listed('https://shop.example.com')).toBe(true);
    expect(policy.listed('https://api.example.com')).toBe(false);
  });
});

describe('singleFlight', () => {
  test('shares one run among concurrent callers, and runs again afterwards', async () => {
    let runs = 0;
    let release: () => void = () => {};
    const shared = singleFlight(async () => {
      runs += 1;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return runs;
    });
    const first = Promise.all([shared(), shared(), shared()]);
    release();
    expect(await first).toEqual([1, 1, 1]);
    const second = shared();
    release();
    expect(await second).toBe(2);
  });
});

describe('small sanitisers', () => {
  test('operation names become short GraphQL names or "invalid"', () => {
    expect(operationNameLabel(undefined)).toBeUndefined();
    expect(operationNameLabel('CreatePet')).toBe('CreatePet');
    expect(operationNameLabel('A'.repeat(1000))).toBe('A'.repeat(64));
    expect(operationNameLabel('} evil="1')).toBe('invalid');
  });

  test('URL passwords are masked wherever they appear', () => {
    expect(withoutPassword('connect postgresql://app:s3cret@db:5432/shop failed')).toBe(
      'connect postgresql://app:***@db:5432/shop failed',
    );
    expect(withoutPassword('postgresql://app@db/shop')).toBe('postgresql://app@db/shop');
  });

  test('inline script hashes are those a browser computes', () => {
    const hashes = inlineScriptHashes('<script>alert(1)</script><script src="/x.js"></script>');
    expect(hashes).toEqual(['sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI=']);
  });
});
