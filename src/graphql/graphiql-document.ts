import type { GraphiQLOptions } from 'graphql-yoga';
import { EXAMPLE_PET_INPUT } from '../modules/pets/example-pet.ts';

/**
 * What GraphiQL opens with: the design document's scenarios as named operations, variables ready to
 * run, and the headers editor showing where a credential goes. Pick the operation with the run button's
 * menu. test/graphql/graphiql-document.test.ts validates every operation against the schema and runs them.
 */

export const GRAPHIQL_DOCUMENT = `# petstore-outbox: each mutation writes its rows and
# its events in one transaction; the relay then
# publishes the events to Kafka.
#
# Run an operation with ▶ (it asks which one).
# 1. Open a tab (+) and run WatchEvents there: events
#    appear as the relay publishes them.
# 2. Back here, run CreatePet. Paste the pet's id into
#    "petId" (Variables, below), run OrderWorkflow.
# 3. Paste the order's id into "orderId", run
#    DeliverOrder (or CancelOrder).
# 4. RelayStatus: the relay. Dashboard at /,
#    Prometheus metrics at /metrics.

mutation CreatePet($pet: CreatePetInput!) {
  createPet(input: $pet) {
    __typename
    ... on PetPayload {
      pet { id name species price status }
      events { eventType aggregateSequence status }
    }
    ... on ValidationError { issues { path message } }
  }
}

# Orders the pet and confirms the order in one
# transaction: order.created, then order.confirmed
# (and pet.status_changed: the pet is reserved).
mutation OrderWorkflow($petId: ID!, $customerId: String!) {
  createOrder(
    input: { customerId: $customerId, petId: $petId, specialInstructions: "Please handle with care" }
    confirm: true
  ) {
    __typename
    ... on OrderPayload {
      order { id status totalPrice }
      events { eventType aggregateType aggregateSequence }
    }
    ... on Error { message }
  }
}

# confirmed → delivered; the pet is sold.
mutation DeliverOrder($orderId: ID!) {
  deliverOrder(id: $orderId) {
    __typename
    ... on OrderPayload { order { id status deliveredAt } pet { status } events { eventType } }
    ... on Error { message }
  }
}

# pending or confirmed → cancelled; the pet is
# available again.
mutation CancelOrder($orderId: ID!) {
  cancelOrder(id: $orderId, reason: "Customer changed their mind") {
    __typename
    ... on OrderPayload { order { id status cancelReason } pet { status } events { eventType } }
    ... on Error { message }
  }
}

# The design document's users/{id}/register. Run it
# twice: the second answer is a typed error.
mutation RegisterUser($userId: ID!, $user: RegisterUserInput!) {
  registerUser(id: $userId, input: $user) {
    __typename
    ... on UserPayload { user { id email phone registeredAt } events { eventType } }
    ... on Error { message }
    ... on ValidationError { issues { path message } }
  }
}

# Every event the relay publishes, live, with where
# it landed on Kafka.
subscription WatchEvents {
  eventPublished {
    eventType
    aggregateType
    aggregateId
    aggregateSequence
    topic
    partition
    offset
    correlationId
    data
  }
}

query RelayStatus {
  outboxMetrics {
    serviceStatus
    kafkaStatus
    running
    pendingEvents
    failedEvents
    processedToday
    processingRate
    commitToPublishP50Seconds
    commitToPublishP99Seconds
    circuitState
    relayInstancesAlive
  }
}
`;

export const GRAPHIQL_VARIABLES = {
  pet: EXAMPLE_PET_INPUT,
  petId: 'paste the id CreatePet returned',
  customerId: 'customer_123',
  orderId: 'paste the id OrderWorkflow returned',
  userId: 'user_789',
  user: { name: 'John Doe', email: 'john@example.com', phone: '+1234567890' },
};

// GraphiQL reads its editors as JSON with comments.
export const GRAPHIQL_HEADERS = `{
  // Admin operations (pauseRelay, replayFailedEvent…) need
  // the service's ADMIN_TOKEN; remove the // below:
  // "Authorization": "Bearer <ADMIN_TOKEN>"
}`;

/**
 * Spread into yoga's `graphiql` options. Yoga's GraphiQL page hands `variables` to GraphiQL as its initial
 * variables and `headers` as its default headers; a default tab's variables would not reach the editor.
 */
export const graphiqlDefaults: Pick<
  GraphiQLOptions,
  'defaultQuery' | 'headers' | 'defaultEditorToolsVisibility'
> & {
  variables: string;
} = {
  defaultQuery: GRAPHIQL_DOCUMENT,
  variables: JSON.stringify(GRAPHIQL_VARIABLES, null, 2),
  headers: GRAPHIQL_HEADERS,
  defaultEditorToolsVisibility: 'variables',
};
