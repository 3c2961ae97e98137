import { ensureGraphiQLAssets } from './lib/graphiql-assets.ts';
import { ensurePrismaClient } from './lib/prisma-client.ts';

// npm run generate: regenerates Prisma Client and the Pothos types from prisma/schema.prisma, and
// extracts GraphiQL's browser files from @graphql-yoga/render-graphiql.
ensurePrismaClient({ force: true });
ensureGraphiQLAssets({ force: true });
console.log('generated Prisma Client, Pothos types and GraphiQL files into src/generated/');
