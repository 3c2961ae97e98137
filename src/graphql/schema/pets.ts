import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { eventContextOf } from '../../events/record-event.ts';
import { PetStatus } from '../../generated/prisma/enums.ts';
import { changePetPrice, createPet, type PetChange, updatePet } from '../../modules/pets/pet.service.ts';
import { MAX_AGE, MAX_PRICE, PetId } from '../../modules/pets/pet.validation.ts';
import { builder } from '../builder.ts';
import { loadRecordedEvents, OutboxEventRef } from './outbox-events.ts';

export const PetStatusEnum = builder.enumType(PetStatus, {
  name: 'PetStatus',
  description:
    'available: can be ordered; pending: reserved by an open order; sold: its order was delivered.',
});

export const PetRef = builder.prismaObject('Pet', {
  description: 'One animal in the store.',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    species: t.exposeString('species', { description: 'Lower-case, e.g. "dog".' }),
    breed: t.exposeString('breed', { nullable: true }),
    age: t.exposeInt('age', { nullable: true, description: 'In years.' }),
    price: t.expose('price', { type: 'Decimal' }),
    category: t.exposeString('category', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    status: t.expose('status', { type: PetStatusEnum }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const PetPayload = builder.objectRef<PetChange>('PetPayload').implement({
  description: 'The pet after the change, and the outbox events the same transaction wrote.',
  fields: (t) => ({
    pet: t.field({ type: PetRef, resolve: (change) => change.pet }),
    events: t.field({
      type: [OutboxEventRef],
      description: 'Empty when the values given equal the current ones (nothing was written).',
      resolve: (change, _args, ctx) => loadRecordedEvents(ctx.app.prisma, change.events),
    }),
  }),
});

const CreatePetInput = builder.inputType('CreatePetInput', {
  fields: (t) => ({
    name: t.string({ required: true, description: '1 to 100 characters.' }),
    species: t.string({ required: true, description: '1 to 50 characters; stored lower-case.' }),
    breed: t.string({ description: '1 to 100 characters.' }),
    age: t.int({ description: `Whole years, 0 to ${MAX_AGE}.` }),
    price: t.field({
      type: 'Decimal',
      required: true,
      description: `From 0 to ${MAX_PRICE}, at most 2 decimal places, e.g. "1200.00".`,
    }),
    category: t.string({ description: '1 to 50 characters.' }),
    description: t.string({ description: '1 to 2000 characters.' }),
    status: t.field({ type: PetStatusEnum, description: 'Defaults to available.' }),
  }),
});

const UpdatePetInput = builder.inputType('UpdatePetInput', {
  description:
    'Leave a field out to keep its value; set breed, age, category or description to null to clear it. Price and status change through changePetPrice and the order workflow.',
  fields: (t) => ({
    name: t.string({ description: '1 to 100 characters.' }),
    species: t.string({ description: '1 to 50 characters; stored lower-case.' }),
    breed: t.string({ description: '1 to 100 characters, or null.' }),
    age: t.int({ description: `Whole years, 0 to ${MAX_AGE}, or null.` }),
    category: t.string({ description: '1 to 50 characters, or null.' }),
    description: t.string({ description: '1 to 2000 characters, or null.' }),
  }),
});

builder.queryField('pet', (t) =>
  t.prismaField({
    type: 'Pet',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const id = PetId.safeParse(String(args.id));
      if (!id.success) return null;
      return ctx.app.prisma.pet.findUnique({ ...query, where: { id: id.data } });
    },
  }),
);

builder.queryField('pets', (t) =>
  t.prismaConnection(
    {
      type: 'Pet',
      cursor: 'id',
      description: 'Pets, newest first.',
      args: {
        species: t.arg.string({ required: false, description: 'Case-insensitive, e.g. "dog".' }),
        status: t.arg({ type: PetStatusEnum, required: false }),
      },
      resolve: (query, _root, args, ctx) =>
        ctx.app.prisma.pet.findMany({
          ...query,
          where: {
            ...(args.species ? { species: args.species.trim().toLowerCase() } : {}),
            ...(args.status ? { status: args.status } : {}),
          },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        }),
    },
    { name: 'PetConnection' },
    { name: 'PetEdge' },
  ),
);

builder.mutationField('createPet', (t) =>
  t.field({
    type: PetPayload,
    description: 'Adds a pet and, in the same transaction, its `pet.created` event to the outbox.',
    errors: { types: [ValidationError], directResult: true, union: { name: 'CreatePetResult' } },
    args: { input: t.arg({ type: CreatePetInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const change = await createPet(ctx.app.prisma, input, eventContextOf(ctx));
      ctx.logger.info({ petId: change.pet.id }, 'pet created');
      return change;
    },
  }),
);

builder.mutationField('updatePet', (t) =>
  t.field({
    type: PetPayload,
    description: "Changes a pet's descriptive fields; writes `pet.updated` when a value really changes.",
    errors: {
      types: [ValidationError, NotFoundError],
      directResult: true,
      union: { name: 'UpdatePetResult' },
    },
    args: {
      id: t.arg.id({ required: true }),
      input: t.arg({ type: UpdatePetInput, required: true }),
    },
    resolve: async (_root, { id, input }, ctx) => {
      const change = await updatePet(ctx.app.prisma, String(id), input, eventContextOf(ctx));
      ctx.logger.info({ petId: change.pet.id, events: change.events.length }, 'pet updated');
      return change;
    },
  }),
);

builder.mutationField('changePetPrice', (t) =>
  t.field({
    type: PetPayload,
    description:
      "Sets a pet's price; writes `pet.price_changed` when it really changes. Orders already placed keep their price.",
    errors: {
      types: [ValidationError, NotFoundError],
      directResult: true,
      union: { name: 'ChangePetPriceResult' },
    },
    args: {
      id: t.arg.id({ required: true }),
      price: t.arg({
        type: 'Decimal',
        required: true,
        description: `From 0 to ${MAX_PRICE}, at most 2 decimal places.`,
      }),
    },
    resolve: async (_root, { id, price }, ctx) => {
      const change = await changePetPrice(ctx.app.prisma, String(id), price, eventContextOf(ctx));
      ctx.logger.info({ petId: change.pet.id, events: change.events.length }, 'pet price changed');
      return change;
    },
  }),
);
