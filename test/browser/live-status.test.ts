import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createPetThroughApi, publishedOrder } from '../live/live-helpers.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import { CHROMIUM_SETUP_TIMEOUT_MS, launchChromium } from './chromium.ts';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

let testApp: TestApp;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let context: BrowserContext;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  context = browser.context;
  testApp = await startTestApp({ OUTBOX_METRICS_INTERVAL: '0.5' });
}, CHROMIUM_SETUP_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await testApp?.stop();
});

/** Console errors (a CSP violation, a script error) and failed requests of a page. */
function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}

async function lastCursor(): Promise<string> {
  return (await publishedOrder(testApp.app.services.prisma)).at(-1)?.cursor ?? '0';
}

/** Opens GraphiQL with `query` in its editor (GraphiQL reads ?query=) and runs it. */
async function runInGraphiQL(page: Page, query: string): Promise<void> {
  await page.goto(`${testApp.graphqlUrl}?query=${encodeURIComponent(query)}`);
  await page.locator('.graphiql-execute-button').waitFor({ timeout: 30_000 });
  // The editor is ready once it shows the query from the URL.
  await page
    .locator('.graphiql-query-editor')
    .getByText('createPet', { exact: false })
    .or(page.locator('.graphiql-query-editor').getByText('eventPublished', { exact: false }))
    .first()
    .waitFor({ timeout: 30_000 });
  await page.locator('.graphiql-execute-button').click();
}

/**
 * Events marked published since midnight (UTC), counted in the database: what the dashboard's
 * "processed today" shows once its sampler has caught up with every mark.
 */
async function publishedTodayInDatabase(): Promise<number> {
  const rows = await testApp.app.services.prisma.$queryRaw<{ count: number }[]>`
    SELECT count(*)::int AS count FROM outbox_events
    WHERE processed_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;
  return rows[0]?.count ?? 0;
}

const responseText = async (page: Page) => (await page.locator('.graphiql-response').textContent()) ?? '';

describe('GraphiQL in Chromium', () => {
  test('loads at /graphql, runs createPet, and a subscription opened in it shows the published event', async () => {
    const subscriptionPage = await context.newPage();
    const mutationPage = await context.newPage();
    const problems = watchProblems(subscriptionPage);
    try {
      const after = await lastCursor();
      await runInGraphiQL(
        subscriptionPage,
        `subscription { eventPublished(after: "${after}", aggregateType: "pet") { eventType aggregateId topic offset cursor } }`,
      );
      await runInGraphiQL(
        mutationPage,
        `mutation {
  createPet(input: { name: "Graphi", species: "cat", price: "42.00" }) {
    __typename
    ... on PetPayload { pet { id name } }
  }
}`,
      );
      const created = await waitFor(
        async () => {
          const text = await responseText(mutationPage);
          return /"id":\s*"([0-9a-f-]{36})"/.exec(text)?.[1];
        },
        { what: 'the createPet response in GraphiQL', timeoutMs: 30_000 },
      );
      await waitFor(async () => (await responseText(subscriptionPage)).includes(created), {
        what: 'the subscription in GraphiQL to show the event',
        timeoutMs: 30_000,
      });
      const shown = await responseText(subscriptionPage);
      expect(shown).toContain('pet.created');
      await subscriptionPage.screenshot({ path: `${ARTIFACTS}graphiql-subscription.png` });
      expect(problems).toEqual([]);
    } finally {
      await subscriptionPage.close();
      await mutationPage.close();
    }
  });
});

describe('the dashboard page in Chromium', () => {
  test('shows a new event in its feed and updates its numbers', async () => {
    const page = await context.newPage();
    const problems = watchProblems(page);
    try {
      await page.goto(testApp.url);
      await expect.poll(() => page.locator('#connection').textContent(), { timeout: 15_000 }).toBe('Live');
      await expect
        .poll(() => page.locator('#service-status').textContent(), { timeout: 15_000 })
        .toBe('running');
      // The page may have rendered a reading taken before the previous test's event was counted:
      // start from the number once it matches the database, so the next step counts one event only.
      const processedBefore = await publishedTodayInDatabase();
      await expect
        .poll(async () => Number(await page.locator('dd[data-metric="processedToday"]').textContent()), {
          timeout: 15_000,
        })
        .toBe(processedBefore);

      const pet = await createPetThroughApi(testApp.graphqlUrl, {
        name: 'Dash',
        species: 'dog',
        price: '7.50',
      });
      const item = page.locator('#feed li', { hasText: pet.id });
      await item.waitFor({ timeout: 15_000 });
      expect(await item.textContent()).toContain('pet.created');
      await expect
        .poll(async () => Number(await page.locator('dd[data-metric="processedToday"]').textContent()), {
          timeout: 15_000,
        })
        .toBe(processedBefore + 1);
      await expect.poll(() => page.locator('#topics tr').count()).toBeGreaterThan(0);
      expect(await page.locator('#topics').textContent()).toContain(
        `${testApp.config.kafka.topicPrefix}.pets`,
      );
      expect(Number(await page.locator('#feed-count').textContent())).toBeGreaterThanOrEqual(1);
      expect(await page.locator('#rate-chart polyline').getAttribute('points')).not.toBe('');

      // Structure a screen reader relies on.
      expect(await page.locator('#feed').getAttribute('role')).toBe('log');
      expect(await page.locator('#feed').getAttribute('aria-live')).toBe('polite');
      expect(await page.locator('h1').count()).toBe(1);
      for (const section of await page.locator('main section').all()) {
        expect(await section.getAttribute('aria-labelledby')).toBeTruthy();
      }
      expect(await page.getByRole('link', { name: 'GraphiQL' }).getAttribute('href')).toBe('/graphql');
      expect(await page.getByRole('link', { name: 'Prometheus metrics' }).getAttribute('href')).toBe(
        '/metrics',
      );

      // Pausing the feed holds new events back until it is resumed.
      await page.getByRole('button', { name: 'Pause feed' }).click();
      expect(await page.getByRole('button', { name: 'Resume feed' }).getAttribute('aria-pressed')).toBe(
        'true',
      );
      const held = await createPetThroughApi(testApp.graphqlUrl, {
        name: 'Held',
        species: 'dog',
        price: '1.00',
      });
      await expect.poll(() => page.locator('#feed-count').textContent(), { timeout: 15_000 }).toBe('2');
      expect(await page.locator('#feed li', { hasText: held.id }).count()).toBe(0);
      await page.getByRole('button', { name: 'Resume feed' }).click();
      await page.locator('#feed li', { hasText: held.id }).waitFor({ timeout: 5000 });

      await page.screenshot({ path: `${ARTIFACTS}dashboard.png`, fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
