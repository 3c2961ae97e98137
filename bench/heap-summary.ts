/**
 * Summarises a V8 heap snapshot (.heapsnapshot, as written by `node --heapsnapshot-signal=SIGUSR2`,
 * v8.writeHeapSnapshot() or Chrome DevTools): the heap by constructor (count, shallow size, and the
 * size each group retains alone, from the dominator tree), and the single objects retaining the most.
 *
 *   npx tsx bench/heap-summary.ts <file.heapsnapshot> [rows]
 *
 * Weak edges do not retain. Retained sizes come from the dominator tree (Cooper, Harvey and Kennedy's
 * iterative algorithm over a reverse postorder from the root).
 */
import { readFileSync } from 'node:fs';

type Snapshot = {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
};

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx bench/heap-summary.ts <file.heapsnapshot> [rows]');
  process.exit(2);
}
const rows = Number(rowsArg ?? 25);
const data = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const { meta } = data.snapshot;
const nodeFieldCount = meta.node_fields.length;
const edgeFieldCount = meta.edge_fields.length;
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const F = {
  type: meta.node_fields.indexOf('type'),
  name: meta.node_fields.indexOf('name'),
  selfSize: meta.node_fields.indexOf('self_size'),
  edgeCount: meta.node_fields.indexOf('edge_count'),
};
const E = {
  type: meta.edge_fields.indexOf('type'),
  name: meta.edge_fields.indexOf('name_or_index'),
  to: meta.edge_fields.indexOf('to_node'),
};
const weakEdge = edgeTypes.indexOf('weak');
const shortcutEdge = edgeTypes.indexOf('shortcut');
const { nodes, edges, strings } = data;
const count = nodes.length / nodeFieldCount;

const firstEdge = new Uint32Array(count + 1);
for (let n = 0, e = 0; n < count; n += 1) {
  firstEdge[n] = e;
  e += (nodes[n * nodeFieldCount + F.edgeCount] as number) * edgeFieldCount;
  firstEdge[n + 1] = e;
}
const selfSize = (n: number) => nodes[n * nodeFieldCount + F.selfSize] as number;
const typeOf = (n: number) => nodeTypes[nodes[n * nodeFieldCount + F.type] as number] as string;
const nameOf = (n: number) => strings[nodes[n * nodeFieldCount + F.name] as number] as string;
/** What a node counts as: its constructor for objects, its type for the rest. */
const classOf = (n: number) => {
  const type = typeOf(n);
  if (type === 'object' || type === 'native') return nameOf(n);
  if (type === 'closure') return 'Function';
  if (type === 'string' || type === 'concatenated string' || type === 'sliced string') return 'string';
  return `(${type})`;
};
const retains = (e: number) => {
  const type = edges[e + E.type] as number;
  return type !== weakEdge && type !== shortcutEdge;
};

// Reverse postorder from the root (node 0), iteratively.
const postorder = new Uint32Array(count);
const orderOf = new Int32Array(count).fill(-1);
let visited = 0;
{
  const stack = new Uint32Array(count);
  const cursor = new Uint32Array(count);
  const seen = new Uint8Array(count);
  let top = 0;
  stack[top++] = 0;
  seen[0] = 1;
  cursor[0] = firstEdge[0] as number;
  while (top > 0) {
    const n = stack[top - 1] as number;
    const end = firstEdge[n + 1] as number;
    let pushed = false;
    while ((cursor[n] as number) < end) {
      const e = cursor[n] as number;
      cursor[n] = e + edgeFieldCount;
      if (!retains(e)) continue;
      const to = (edges[e + E.to] as number) / nodeFieldCount;
      if (seen[to]) continue;
      seen[to] = 1;
      cursor[to] = firstEdge[to] as number;
      stack[top++] = to;
      pushed = true;
      break;
    }
    if (!pushed) {
      top -= 1;
      orderOf[n] = visited;
      postorder[visited++] = n;
    }
  }
}

// Predecessors, for the reachable nodes only.
const predecessorCount = new Uint32Array(count + 1);
for (let n = 0; n < count; n += 1) {
  if (orderOf[n] === -1) continue;
  for (let e = firstEdge[n] as number; e < (firstEdge[n + 1] as number); e += edgeFieldCount) {
    if (!retains(e)) continue;
    const to = (edges[e + E.to] as number) / nodeFieldCount;
    predecessorCount[to] = (predecessorCount[to] as number) + 1;
  }
}
const predecessorStart = new Uint32Array(count + 1);
for (let n = 0; n < count; n += 1)
  predecessorStart[n + 1] = (predecessorStart[n] as number) + (predecessorCount[n] as number);
const predecessors = new Uint32Array(predecessorStart[count] as number);
const fill = predecessorStart.slice();
for (let n = 0; n < count; n += 1) {
  if (orderOf[n] === -1) continue;
  for (let e = firstEdge[n] as number; e < (firstEdge[n + 1] as number); e += edgeFieldCount) {
    if (!retains(e)) continue;
    const to = (edges[e + E.to] as number) / nodeFieldCount;
    const at = fill[to] as number;
    predecessors[at] = n;
    fill[to] = at + 1;
  }
}

// Immediate dominators, by postorder number.
const idom = new Int32Array(visited).fill(-1);
const root = orderOf[0] as number;
idom[root] = root;
const intersect = (a: number, b: number) => {
  let x = a;
  let y = b;
  while (x !== y) {
    while (x < y) x = idom[x] as number;
    while (y < x) y = idom[y] as number;
  }
  return x;
};
for (let changed = true; changed; ) {
  changed = false;
  for (let i = visited - 2; i >= 0; i -= 1) {
    const n = postorder[i] as number;
    let dominator = -1;
    for (let p = predecessorStart[n] as number; p < (predecessorStart[n + 1] as number); p += 1) {
      const order = orderOf[predecessors[p] as number] as number;
      if (order === -1 || idom[order] === -1) continue;
      dominator = dominator === -1 ? order : intersect(order, dominator);
    }
    if (dominator !== -1 && idom[i] !== dominator) {
      idom[i] = dominator;
      changed = true;
    }
  }
}

// Retained sizes: children before parents, i.e. in postorder.
const retained = new Float64Array(visited);
for (let i = 0; i < visited; i += 1) retained[i] = selfSize(postorder[i] as number);
for (let i = 0; i < visited - 1; i += 1) {
  const parent = idom[i] as number;
  if (parent >= 0 && parent !== i) retained[parent] = (retained[parent] as number) + (retained[i] as number);
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
let total = 0;
const byClass = new Map<string, { count: number; self: number; retained: number }>();
for (let i = 0; i < visited; i += 1) {
  const n = postorder[i] as number;
  total += selfSize(n);
  const name = classOf(n);
  let entry = byClass.get(name);
  if (!entry) {
    entry = { count: 0, self: 0, retained: 0 };
    byClass.set(name, entry);
  }
  entry.count += 1;
  entry.self += selfSize(n);
  // A group's own retained size: objects not dominated by another object of the same group.
  let up = idom[i] as number;
  let nested = false;
  while (up !== root && up >= 0) {
    if (classOf(postorder[up] as number) === name) {
      nested = true;
      break;
    }
    const next = idom[up] as number;
    if (next === up) break;
    up = next;
  }
  if (!nested) entry.retained += retained[i] as number;
}

console.log(`${file}: ${visited.toLocaleString()} reachable objects, ${mb(total)} shallow in all\n`);
console.log(
  'By constructor (largest retained first; retained = what goes if every object of the group goes)',
);
console.log('| constructor | count | shallow | retained |\n| --- | ---: | ---: | ---: |');
for (const [name, entry] of [...byClass].sort((a, b) => b[1].retained - a[1].retained).slice(0, rows)) {
  console.log(
    `| ${name.slice(0, 60).replaceAll('|', '\\|')} | ${entry.count.toLocaleString()} | ${mb(entry.self)} | ${mb(entry.retained)} |`,
  );
}

console.log(
  '\nLargest single retainers (a chain of objects that each hold the next is shown by its last link, with its holders)',
);
console.log(
  '| object | shallow | retained | held by (dominators, nearest first) |\n| --- | ---: | ---: | --- |',
);
// Per object, the largest retained size among the objects it alone holds: a link that passes most of
// its size on to one object is a chain, shown by that object instead.
const largestChild = new Float64Array(visited);
for (let i = 0; i < visited - 1; i += 1) {
  const parent = idom[i] as number;
  if (parent >= 0 && parent !== i)
    largestChild[parent] = Math.max(largestChild[parent] as number, retained[i] as number);
}
const candidates: number[] = [];
for (let i = 0; i < visited; i += 1) {
  const type = typeOf(postorder[i] as number);
  if (type === 'synthetic' || type === 'hidden') continue;
  if ((largestChild[i] as number) >= 0.9 * (retained[i] as number)) continue;
  candidates.push(i);
}
candidates.sort((a, b) => (retained[b] as number) - (retained[a] as number));
const describe = (n: number) => {
  if (typeOf(n) === 'string') return `string "${nameOf(n).slice(0, 30).replaceAll('\n', ' ')}…"`;
  if (typeOf(n) === 'closure') return `Function ${nameOf(n)}`.trim();
  return classOf(n);
};
for (const i of candidates.slice(0, rows)) {
  const n = postorder[i] as number;
  const holders: string[] = [];
  for (let up = idom[i] as number, steps = 0; up !== root && up >= 0 && steps < 4; steps += 1) {
    holders.push(describe(postorder[up] as number));
    const next = idom[up] as number;
    if (next === up) break;
    up = next;
  }
  const clean = (text: string) => text.replaceAll('|', '\\|').slice(0, 120);
  console.log(
    `| ${clean(describe(n))} | ${mb(selfSize(n))} | ${mb(retained[i] as number)} | ${clean(holders.join(' ← '))} |`,
  );
}
