import { z } from 'zod';
import { builder } from '../../graphql/builder.ts';
import { badUserInput } from '../../graphql/errors.ts';
import { createPet } from './pet.service.ts';

export const PetStatusEnum = builder.enumType('PetStatus', {
  values: ['available', 'pending', 'sold'] as const,
});

builder.prismaObject('Pet', {
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    species: t.exposeString('species'),
    breed: t.exposeString('breed', { nullable: true }),
    age: t.exposeInt('age', { nullable: true }),
    price: t.expose('price', { type: 'Decimal' }),
    category: t.exposeString('category', { nullable: true }),
    description: t.exposeString('description', { nullable: true }),
    status: t.expose('status', { type: PetStatusEnum }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const CreatePetInput = builder.inputType('CreatePetInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    species: t.string({ required: true }),
    breed: t.string(),
    age: t.int(),
    price: t.field({ type: 'Decimal', required: true }),
    category: t.string(),
    description: t.string(),
    status: t.field({ type: PetStatusEnum }),
  }),
});

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);
const CreatePetRules = z.object({
  name: text(100),
  species: text(50),
  breed: text(100).nullish(),
  age: z.number().int().min(0).max(100).nullish(),
  price: z
    .string()
    .regex(/^\d{1,10}(\.\d{1,2})?$/, 'a non-negative amount with at most 2 decimals, e.g. "1200.00"'),
  category: text(50).nullish(),
  description: z.string().max(2000).nullish(),
  status: z.enum(['available', 'pending', 'sold']).nullish(),
});

builder.queryField('pet', (t) =>
  t.prismaField({
    type: 'Pet',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const id = String(args.id);
      if (!z.string().uuid().safeParse(id).success) return null;
      return ctx.app.prisma.pet.findUnique({ ...query, where: { id } });
    },
  }),
);

builder.mutationField('createPet', (t) =>
  t.prismaField({
    type: 'Pet',
    description: 'Adds a pet and, in the same transaction, its `pet.created` event to the outbox.',
    args: { input: t.arg({ type: CreatePetInput, required: true }) },
    resolve: async (_query, _root, { input }, ctx) => {
      const parsed = CreatePetRules.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = ['input', ...(issue?.path ?? []).map(String)];
        throw badUserInput(`${field.join('.')}: ${issue?.message ?? 'invalid'}`, field);
      }
      const pet = await createPet(ctx.app.prisma, parsed.data, {
        correlationId: ctx.correlationId,
        topicPrefix: ctx.app.topicPrefix,
      });
      ctx.logger.info({ petId: pet.id }, 'pet created');
      return pet;
    },
  }),
);
