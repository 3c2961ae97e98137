import { ensurePrismaClient } from './lib/prisma-client.ts';

// npm run generate: regenerates Prisma Client and the Pothos types from prisma/schema.prisma.
ensurePrismaClient({ force: true });
console.log('generated Prisma Client and Pothos types into src/generated/');
