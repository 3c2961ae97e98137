import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { waitFor } from '../support/wait-for.ts';
import { CHROMIUM_SETUP_TIMEOUT_MS, launchChromium } from './chromium.ts';

const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

let testApp: TestApp;
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  await mkdir(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  testApp = await startTestApp();
}, CHROMIUM_SETUP_TIMEOUT_MS);

afterAll(async () => {
  await browser?.close();
  await testApp?.stop();
});

describe('GraphiQL as a newcomer first sees it', () => {
  test('opens on the named scenarios with their variables, and runs CreatePet from the menu', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    try {
      await page.goto(testApp.graphqlUrl);
      const editor = page.locator('.graphiql-query-editor');
      await editor.getByText('CreatePet', { exact: false }).first().waitFor({ timeout: 30_000 });
      const tools = page.locator('.graphiql-editor-tool');
      await tools.getByText('Golden Retriever', { exact: false }).first().waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Headers' }).click();
      await tools.getByText('ADMIN_TOKEN', { exact: false }).first().waitFor({ timeout: 30_000 });

      // Several operations: the run button asks which one.
      await page.locator('.graphiql-execute-button').click();
      await page.getByRole('menuitem', { name: 'CreatePet' }).click();
      const response = await waitFor(
        async () => {
          const text = (await page.locator('.graphiql-response').textContent()) ?? '';
          return text.includes('PetPayload') ? text : undefined;
        },
        { timeoutMs: 30_000, what: 'the CreatePet response' },
      );
      expect(response).toContain('pet.created');
      await page.screenshot({ path: `${ARTIFACTS}graphiql-default-document.png` });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
