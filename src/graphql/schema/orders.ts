import { NotFoundError, ValidationError } from '../../domain/errors.ts';
import { eventContextOf } from '../../events/record-event.ts';
import { OrderStatus } from '../../generated/prisma/enums.ts';
import { InvalidTransitionError, PetNotAvailableError } from '../../modules/orders/order.errors.ts';
import {
  cancelOrder,
  confirmOrder,
  createOrder,
  deliverOrder,
  type OrderChange,
} from '../../modules/orders/order.service.ts';
import { OrderId } from '../../modules/orders/order.validation.ts';
import { PetId } from '../../modules/pets/pet.validation.ts';
import { builder } from '../builder.ts';
import { ErrorInterface } from '../errors.ts';
import { loadRecordedEvents, OutboxEventRef } from './outbox-events.ts';
import { PetRef, PetStatusEnum } from './pets.ts';

export const OrderStatusEnum = builder.enumType(OrderStatus, {
  name: 'OrderStatus',
  description:
    'pending → confirmed → delivered; pending or confirmed → cancelled. Delivered and cancelled are final.',
});

const OrderRef = builder.prismaObject('Order', {
  description: 'An order for one pet.',
  fields: (t) => ({
    id: t.exposeID('id'),
    customerId: t.exposeString('customerId'),
    petId: t.exposeID('petId'),
    pet: t.relation('pet'),
    quantity: t.exposeInt('quantity', { description: 'Always 1: a pet is one animal.' }),
    specialInstructions: t.exposeString('specialInstructions', { nullable: true }),
    status: t.expose('status', { type: OrderStatusEnum }),
    unitPrice: t.expose('unitPrice', {
      type: 'Decimal',
      description: "The pet's price when the order was placed.",
    }),
    totalPrice: t.expose('totalPrice', { type: 'Decimal', description: 'unitPrice × quantity, exact.' }),
    cancelReason: t.exposeString('cancelReason', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    confirmedAt: t.expose('confirmedAt', { type: 'DateTime', nullable: true }),
    deliveredAt: t.expose('deliveredAt', { type: 'DateTime', nullable: true }),
    cancelledAt: t.expose('cancelledAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.objectType(InvalidTransitionError, {
  name: 'InvalidTransitionError',
  description: 'The order is not in a state this step may start from (e.g. confirming a cancelled order).',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    orderId: t.exposeID('orderId'),
    from: t.expose('from', { type: OrderStatusEnum, description: "The order's current status." }),
    to: t.expose('to', { type: OrderStatusEnum, description: 'The status that was asked for.' }),
  }),
});

builder.objectType(PetNotAvailableError, {
  name: 'PetNotAvailableError',
  description:
    'The pet is reserved by another order (pending) or sold. Also the answer to the loser of two simultaneous orders for one pet.',
  interfaces: [ErrorInterface],
  fields: (t) => ({
    petId: t.exposeID('petId'),
    status: t.expose('status', { type: PetStatusEnum }),
  }),
});

const OrderPayload = builder.objectRef<OrderChange>('OrderPayload').implement({
  description: 'The order after the change, and the outbox events the same transaction wrote, in order.',
  fields: (t) => ({
    order: t.field({ type: OrderRef, resolve: (change) => change.order }),
    pet: t.field({
      type: PetRef,
      description: "The order's pet after the change.",
      resolve: (change, _args, ctx) =>
        ctx.app.prisma.pet.findUniqueOrThrow({ where: { id: change.order.petId } }),
    }),
    events: t.field({
      type: [OutboxEventRef],
      resolve: (change, _args, ctx) => loadRecordedEvents(ctx.app.prisma, change.events),
    }),
  }),
});

const CreateOrderInput = builder.inputType('CreateOrderInput', {
  fields: (t) => ({
    customerId: t.string({
      required: true,
      description: '1 to 64 letters, digits, "_" or "-", e.g. "customer_123".',
    }),
    petId: t.id({ required: true, description: 'An available pet.' }),
    quantity: t.int({ description: 'Must be 1 (the default): a pet is one animal.' }),
    specialInstructions: t.string({ description: '1 to 1000 characters.' }),
  }),
});

const transitionErrors = [ValidationError, NotFoundError, InvalidTransitionError];

builder.queryField('order', (t) =>
  t.prismaField({
    type: 'Order',
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => {
      const id = OrderId.safeParse(String(args.id));
      if (!id.success) return null;
      return ctx.app.prisma.order.findUnique({ ...query, where: { id: id.data } });
    },
  }),
);

builder.queryField('orders', (t) =>
  t.prismaConnection(
    {
      type: 'Order',
      cursor: 'id',
      description: 'Orders, newest first.',
      args: {
        customerId: t.arg.string({ required: false }),
        status: t.arg({ type: OrderStatusEnum, required: false }),
        petId: t.arg.id({ required: false }),
      },
      resolve: (query, _root, args, ctx) => {
        const petId = args.petId == null ? null : String(args.petId);
        // A malformed pet id matches no order; it must not reach PostgreSQL's uuid parser as an error.
        if (petId !== null && !PetId.safeParse(petId).success) return [];
        return ctx.app.prisma.order.findMany({
          ...query,
          where: {
            ...(args.customerId ? { customerId: args.customerId } : {}),
            ...(args.status ? { status: args.status } : {}),
            ...(petId ? { petId } : {}),
          },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        });
      },
    },
    { name: 'OrderConnection' },
    { name: 'OrderEdge' },
  ),
);

builder.mutationField('createOrder', (t) =>
  t.field({
    type: OrderPayload,
    description:
      'Orders an available pet: the order starts pending and the pet is reserved. With `confirm: true` the order is also confirmed, and `order.created` then `order.confirmed` are written by the same transaction.',
    errors: {
      types: [ValidationError, NotFoundError, PetNotAvailableError],
      directResult: true,
      union: { name: 'CreateOrderResult' },
    },
    args: {
      input: t.arg({ type: CreateOrderInput, required: true }),
      confirm: t.arg.boolean({ required: false, defaultValue: false }),
    },
    resolve: async (_root, { input, confirm }, ctx) => {
      const change = await createOrder(
        ctx.app.prisma,
        input,
        { confirm: confirm ?? false },
        eventContextOf(ctx),
      );
      ctx.logger.info(
        { orderId: change.order.id, petId: change.order.petId, status: change.order.status },
        'order created',
      );
      return change;
    },
  }),
);

builder.mutationField('confirmOrder', (t) =>
  t.field({
    type: OrderPayload,
    description: 'pending → confirmed; writes `order.confirmed`.',
    errors: { types: transitionErrors, directResult: true, union: { name: 'ConfirmOrderResult' } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const change = await confirmOrder(ctx.app.prisma, String(id), eventContextOf(ctx));
      ctx.logger.info({ orderId: change.order.id }, 'order confirmed');
      return change;
    },
  }),
);

builder.mutationField('deliverOrder', (t) =>
  t.field({
    type: OrderPayload,
    description:
      'confirmed → delivered, and the pet is sold; writes `order.delivered` and `pet.status_changed`.',
    errors: { types: transitionErrors, directResult: true, union: { name: 'DeliverOrderResult' } },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, { id }, ctx) => {
      const change = await deliverOrder(ctx.app.prisma, String(id), eventContextOf(ctx));
      ctx.logger.info({ orderId: change.order.id }, 'order delivered');
      return change;
    },
  }),
);

builder.mutationField('cancelOrder', (t) =>
  t.field({
    type: OrderPayload,
    description:
      'pending or confirmed → cancelled, and the pet is available again; writes `order.cancelled` and `pet.status_changed`.',
    errors: { types: transitionErrors, directResult: true, union: { name: 'CancelOrderResult' } },
    args: {
      id: t.arg.id({ required: true }),
      reason: t.arg.string({ required: true, description: '1 to 1000 characters.' }),
    },
    resolve: async (_root, { id, reason }, ctx) => {
      const change = await cancelOrder(ctx.app.prisma, String(id), reason, eventContextOf(ctx));
      ctx.logger.info({ orderId: change.order.id }, 'order cancelled');
      return change;
    },
  }),
);
