// The live status page: two GraphQL subscriptions over Server-Sent Events (EventSource, yoga's
// default transport on /graphql), drawn with plain DOM and SVG. No build step, no dependencies.

const METRICS_SUBSCRIPTION = `subscription DashboardMetrics {
  outboxMetricsUpdated {
    pendingEvents failedEvents processedToday running kafkaConnected serviceStatus kafkaStatus circuitState
    paused processingRate retryRate oldestPendingAgeSeconds commitToPublishP50Seconds commitToPublishP99Seconds
    parkedAggregates relayInstancesAlive topics { topic pending failed processedToday } sampledAt timestamp
  }
}`;

const FEED_SUBSCRIPTION = `subscription DashboardFeed($after: String) {
  eventPublished(after: $after) {
    cursor eventId aggregateType aggregateId aggregateSequence eventType topic partition offset publishedAt
  }
}`;

const FEED_LIMIT = 50;
const CHART_WINDOW_MS = 5 * 60 * 1000;
const RECONNECT_DELAY_MS = 1000;

const byId = (id) => document.getElementById(id);
const history = [];
const streams = { metrics: 'connecting', feed: 'connecting' };
let lastCursor = null;
let feedPaused = false;
let feedCount = 0;
const heldBack = [];

/** Opens a subscription as an EventSource; on any failure it is reopened, from `url()` as it is then. */
function subscribe(name, url, onData) {
  let source = null;
  const open = () => {
    source = new EventSource(url());
    source.addEventListener('open', () => setStream(name, 'live'));
    source.addEventListener('next', (message) => {
      const result = JSON.parse(message.data);
      if (result.data) onData(result.data);
    });
    // `complete` (the server ended the stream) and errors both lead to a fresh subscription: the
    // browser's own retry would repeat the original URL and lose the feed's `after` cursor.
    const restart = () => {
      source.close();
      setStream(name, 'reconnecting');
      setTimeout(open, RECONNECT_DELAY_MS);
    };
    source.addEventListener('complete', restart);
    source.addEventListener('error', restart);
  };
  open();
}

function graphqlUrl(query, variables) {
  const params = new URLSearchParams({ query });
  if (variables) params.set('variables', JSON.stringify(variables));
  return `/graphql?${params}`;
}

function setStream(name, state) {
  streams[name] = state;
  const states = Object.values(streams);
  byId('connection').textContent = states.every((value) => value === 'live')
    ? 'Live'
    : states.some((value) => value === 'reconnecting')
      ? 'Connection lost, reconnecting…'
      : 'Connecting…';
}

const number = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

function seconds(value) {
  if (value === null || value === undefined) return '—';
  if (value < 1) return `${number.format(value * 1000)} ms`;
  if (value < 120) return `${number.format(value)} s`;
  return `${number.format(value / 60)} min`;
}

const formats = {
  pendingEvents: (value) => number.format(value),
  failedEvents: (value) => number.format(value),
  processedToday: (value) => number.format(value),
  processingRate: (value) => `${number.format(value)}/s`,
  retryRate: (value) => (value === null ? '—' : `${number.format(value * 100)} %`),
  oldestPendingAgeSeconds: (value) => (value === null ? 'none pending' : seconds(value)),
  commitToPublishP50Seconds: seconds,
  commitToPublishP99Seconds: seconds,
  parkedAggregates: (value) => number.format(value),
  relayInstancesAlive: (value) => (value === null ? 'unknown' : number.format(value)),
  running: (value) => (value ? 'yes' : 'no'),
  paused: (value) => (value ? 'yes' : 'no'),
  sampledAt: (value) => (value ? new Date(value).toLocaleTimeString() : '—'),
};

function showMetrics(metrics) {
  for (const element of document.querySelectorAll('[data-metric]')) {
    const name = element.dataset.metric;
    if (!(name in metrics)) continue;
    const format = formats[name] ?? String;
    element.textContent = format(metrics[name]);
  }
  const badge = byId('service-status');
  badge.className = `badge ${metrics.serviceStatus}`;
  showTopics(metrics.topics);
  history.push({ at: Date.now(), rate: metrics.processingRate, pending: metrics.pendingEvents });
  while (history.length > 0 && history[0].at < Date.now() - CHART_WINDOW_MS) history.shift();
  drawChart(
    'rate',
    (point) => point.rate,
    (value) => `${number.format(value)} events/s`,
  );
  drawChart(
    'pending',
    (point) => point.pending,
    (value) => `${number.format(value)} pending`,
  );
}

function showTopics(topics) {
  const body = byId('topics');
  if (topics.length === 0) return;
  body.replaceChildren(
    ...topics.map((topic) => {
      const row = document.createElement('tr');
      for (const value of [topic.topic, topic.pending, topic.failed, topic.processedToday]) {
        const cell = document.createElement('td');
        cell.textContent = typeof value === 'number' ? number.format(value) : value;
        row.append(cell);
      }
      return row;
    }),
  );
}

/** 1, 2 or 5 times a power of ten, at least `value`: a scale a reader can take in at a glance. */
function niceCeiling(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value) ?? 10 * power;
}

function drawChart(name, pick, describe) {
  const svg = byId(`${name}-chart`);
  const values = history.map(pick);
  const max = niceCeiling(Math.max(0, ...values));
  const now = Date.now();
  // The page's own history, up to five minutes: a fresh page fills the width within a minute.
  const span = Math.min(CHART_WINDOW_MS, Math.max(60_000, now - (history[0]?.at ?? now)));
  const points = history.map((point) => {
    const x = 300 - ((now - point.at) / span) * 300;
    const y = 98 - (pick(point) / max) * 94;
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  svg.querySelector('polyline').setAttribute('points', points.join(' '));
  byId(`${name}-max`).textContent = `(top of scale: ${number.format(max)})`;
  const latest = values.at(-1);
  byId(`${name}-desc`).textContent =
    latest === undefined
      ? 'No data yet.'
      : `Latest ${describe(latest)}, highest in view ${describe(Math.max(...values))}.`;
}

function showEvent(event) {
  const item = document.createElement('li');
  const time = document.createElement('time');
  time.dateTime = event.publishedAt;
  time.textContent = new Date(event.publishedAt).toLocaleTimeString();
  const type = document.createElement('span');
  type.className = 'event-type';
  type.textContent = event.eventType;
  const subject = document.createElement('span');
  subject.textContent = `${event.aggregateType} ${event.aggregateId} #${event.aggregateSequence}`;
  const where = document.createElement('span');
  where.className = 'where';
  where.textContent = `${event.topic} partition ${event.partition} offset ${event.offset} · cursor ${event.cursor}`;
  item.append(time, type, subject, where);
  item.dataset.eventId = event.eventId;
  const feed = byId('feed');
  feed.prepend(item);
  while (feed.children.length > FEED_LIMIT) feed.lastElementChild.remove();
}

function onPublished({ eventPublished: event }) {
  lastCursor = event.cursor;
  feedCount += 1;
  byId('feed-count').textContent = number.format(feedCount);
  if (feedPaused) {
    heldBack.push(event);
    if (heldBack.length > FEED_LIMIT) heldBack.shift();
  } else {
    showEvent(event);
  }
}

byId('feed-toggle').addEventListener('click', (click) => {
  feedPaused = !feedPaused;
  click.currentTarget.setAttribute('aria-pressed', String(feedPaused));
  click.currentTarget.textContent = feedPaused ? 'Resume feed' : 'Pause feed';
  if (!feedPaused) for (const event of heldBack.splice(0)) showEvent(event);
});

subscribe(
  'metrics',
  () => graphqlUrl(METRICS_SUBSCRIPTION),
  (data) => showMetrics(data.outboxMetricsUpdated),
);
// Reconnects resume after the last event shown, so the feed has no gap and no repeat.
subscribe(
  'feed',
  () => graphqlUrl(FEED_SUBSCRIPTION, lastCursor ? { after: lastCursor } : undefined),
  onPublished,
);
