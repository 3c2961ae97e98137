import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.ts';
import './scalars.ts';
import './schema/pets.ts';
import './schema/orders.ts';
import './schema/users.ts';
import './schema/outbox-events.ts';
import './schema/outbox.ts';
import './schema/relay-admin.ts';

/** The whole API. Importing a file of schema/ registers its types, queries and mutations. */
export const schema = lexicographicSortSchema(builder.toSchema());
