/** The admin token every test app gets unless a test sets ADMIN_TOKEN itself. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnop';

/** Headers that carry the admin credential. */
export const ADMIN_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
});
