import { type EventContext, recordEvent } from '../../events/record-event.ts';
import type { Pet, PetStatus } from '../../generated/prisma/client.ts';
import type { EnqueuedEvent, TransactionClient } from '../../outbox/enqueue.ts';
import { type PET_STATUS_CHANGE_REASONS, PetStatusChanged, petSnapshot } from './pet.events.ts';

export type PetStatusChange = {
  petId: string;
  from: PetStatus;
  to: PetStatus;
  reason: (typeof PET_STATUS_CHANGE_REASONS)[number];
  orderId: string;
};

/**
 * Moves a pet from one status to another only if it is still in `from`, and writes `pet.status_changed`.
 * The check and the change are one conditional UPDATE: of two transactions racing for the same pet,
 * the second waits for the first's row lock, then re-reads the row, finds it no longer in `from`, and
 * changes nothing. Returns null then; the caller decides what that means.
 */
export async function changePetStatus(
  tx: TransactionClient,
  change: PetStatusChange,
  context: EventContext,
): Promise<{ pet: Pet; event: EnqueuedEvent } | null> {
  const [pet] = await tx.pet.updateManyAndReturn({
    where: { id: change.petId, status: change.from },
    data: { status: change.to },
  });
  if (!pet) return null;
  const event = await recordEvent(
    tx,
    PetStatusChanged,
    pet.id,
    { pet: petSnapshot(pet), previousStatus: change.from, reason: change.reason, orderId: change.orderId },
    context,
  );
  return { pet, event };
}
