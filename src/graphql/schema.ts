import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.ts';
import './scalars.ts';
import '../modules/pets/pet.schema.ts';
import '../modules/outbox/outbox.schema.ts';

/** The whole API. Importing a domain's schema file registers its types, queries and mutations. */
export const schema = lexicographicSortSchema(builder.toSchema());
