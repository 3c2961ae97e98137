import { lexicographicSortSchema } from 'graphql';
import { builder } from './builder.ts';
import './scalars.ts';
import '../modules/pets/pet.schema.ts';
import '../modules/orders/order.schema.ts';
import '../modules/users/user.schema.ts';
import '../modules/outbox/outbox-events.schema.ts';
import '../modules/outbox/outbox.schema.ts';
import '../modules/outbox/admin.schema.ts';

/** The whole API. Importing a domain's schema file registers its types, queries and mutations. */
export const schema = lexicographicSortSchema(builder.toSchema());
