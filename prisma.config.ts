import { defineConfig } from 'prisma/config';
import { DEFAULT_DATABASE_URL } from './src/config/default-urls.ts';

// Prisma 7 reads the connection from here (not from schema.prisma) for the CLI:
// `prisma migrate deploy` and `prisma studio`. `prisma generate` needs no database.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
  },
});
