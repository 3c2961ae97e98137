import type { GraphiQLOptions } from 'graphql-yoga';

/**
 * What GraphiQL opens with: the design document's scenarios as named operations, variables ready to
 * run, and the headers editor showing where a credential goes. Pick the operation with the run button's
 * menu. test/graphql/graphiql-document.test.ts validates every operation against the schema and runs them.
 */

export const GRAPHIQL_DOCUMENT = `# petstore-outbox: every mutation writes its business rows and its events in one transaction;
# the relay publishes the events to Kafka. Run an operation with ▶ (the menu picks which one).
#
# 1. Open a second tab (+) and run WatchEvents there: published events appear live.
# 2. Here: CreatePet, then paste the pet's id into "petId" (Variables, below) and run OrderWorkflow.
# 3. Paste the order's id into "orderId" and run DeliverOrder (or CancelOrder).
# 4. RelayStatus shows the relay; the dashboard is at /, Prometheus metrics at /metrics.

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

# Places the order and confirms it in one transaction: order.created, then order.confirmed
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

# pending or confirmed → cancelled; the pet is available again.
mutation CancelOrder($orderId: ID!) {
  cancelOrder(id: $orderId, reason: "Customer changed their mind") {
    __typename
    ... on OrderPayload { order { id status cancelReason } pet { status } events { eventType } }
    ... on Error { message }
  }
}

# The design document's users/{id}/register. Run it twice to see a typed error instead of an exception.
mutation RegisterUser($userId: ID!, $user: RegisterUserInput!) {
  registerUser(id: $userId, input: $user) {
    __typename
    ... on UserPayload { user { id email phone registeredAt } events { eventType } }
    ... on Error { message }
    ... on ValidationError { issues { path message } }
  }
}

# Every event the relay publishes, live, with where it landed on Kafka.
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
  pet: {
    name: 'Buddy',
    species: 'dog',
    breed: 'Golden Retriever',
    age: 3,
    price: '1200.00',
    category: 'friendly',
    description: 'A friendly and energetic dog',
  },
  petId: 'paste the id CreatePet returned',
  customerId: 'customer_123',
  orderId: 'paste the id OrderWorkflow returned',
  userId: 'user_789',
  user: { name: 'John Doe', email: 'john@example.com', phone: '+1234567890' },
};

// GraphiQL reads its editors as JSON with comments.
export const GRAPHIQL_HEADERS = `{
  // Admin operations (pauseRelay, resumeRelay, replayFailedEvent…) take a bearer token when the
  // service requires one (ADMIN_TOKEN):
  // "Authorization": "Bearer <ADMIN_TOKEN>"
}`;

/** Spread into yoga's `graphiql` options. */
export const graphiqlDefaults: Pick<
  GraphiQLOptions,
  'defaultQuery' | 'defaultTabs' | 'defaultEditorToolsVisibility'
> = {
  // A tab opened with + starts from the same document (e.g. to run WatchEvents beside the others).
  defaultQuery: GRAPHIQL_DOCUMENT,
  defaultTabs: [
    {
      query: GRAPHIQL_DOCUMENT,
      variables: JSON.stringify(GRAPHIQL_VARIABLES, null, 2),
      headers: GRAPHIQL_HEADERS,
    },
  ],
  defaultEditorToolsVisibility: 'variables',
};
