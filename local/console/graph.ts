/**
 * The state machine as a graph, laid out from the ASL definition itself
 * (never a drawn copy): states are nodes, `Next` / `Default` / `Choices` /
 * `Catch` are edges, plus a Start and an End node as the Step Functions
 * console draws them. The layout is layered top to bottom (Sugiyama style):
 * back edges reversed, longest-path layers, dummy nodes on long edges,
 * barycentre ordering to cut crossings, then x positions that pull each node
 * towards its neighbours while keeping the order and spacing of its layer.
 * The browser only draws what this returns.
 */

export type EdgeKind = 'start' | 'next' | 'choice' | 'default' | 'catch' | 'end';

export interface GraphNode {
  id: string;
  /** 'state' for an ASL state; 'start' / 'end' for the console's terminals. */
  kind: 'state' | 'start' | 'end';
  label: string;
  /** ASL type (Task, Choice, Pass, Wait, Succeed, Fail, Map, Parallel). */
  type?: string;
  comment?: string;
  /** Centre. */
  x: number;
  y: number;
  width: number;
  height: number;
  layer: number;
}

export interface GraphEdge {
  id: string;
  from: string;
  to: string;
  kind: EdgeKind;
  /** Short text drawn next to the edge (Choice rules). */
  label?: string;
  /** Full description (tooltip). */
  title: string;
  /** Polyline through which a smooth curve is drawn, first point on `from`, last on `to`. */
  points: { x: number; y: number }[];
  /** Centre of the label: on the drawn curve, clear of every node and of the other labels. */
  labelAt?: { x: number; y: number };
}

export interface StateGraph {
  startAt: string;
  width: number;
  height: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export const START = '__start__';
export const END = '__end__';

interface AslState {
  Type?: string;
  Comment?: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: Record<string, unknown>[];
  Catch?: { ErrorEquals?: string[]; Next?: string }[];
}

interface AslDefinition {
  StartAt?: string;
  States?: Record<string, AslState>;
}

/*
 * Sizes are in the drawing's units, with fonts large for them (state names 17,
 * edge labels 16): the page fits the whole graph to its panel, about 0.65 of
 * these units on a 1280 × 800 window, and the text must stay readable there.
 */
const NODE_HEIGHT = 34;
const TERMINAL = { width: 72, height: 26 };
const LAYER_GAP = 18;
/** Below a layer whose edges carry labels (Choice rules), so the labels have room between the rows. */
const LABELLED_LAYER_GAP = 36;
const NODE_GAP = 22;
const DUMMY_WIDTH = 12;
const MARGIN = 16;
/** Average advance of a state name's character (17-unit semibold sans-serif). */
export const NODE_CHAR_WIDTH = 9.4;
/** Average advance of an edge label's character (16-unit sans-serif), and the label's box height. */
export const LABEL_CHAR_WIDTH = 8.8;
export const LABEL_HEIGHT = 19;

const COMPARATORS = [
  'StringEquals',
  'StringEqualsPath',
  'NumericEquals',
  'BooleanEquals',
  'StringMatches',
  'IsPresent',
  'IsNull',
  'NumericLessThan',
  'NumericGreaterThan',
  'NumericLessThanEquals',
  'NumericGreaterThanEquals',
  'TimestampEquals',
  'IsString',
  'IsBoolean',
  'IsNumeric',
  'IsTimestamp',
];

/** A Choice rule, briefly (`= ACCEPTED`) and in full (`$.decision.decision StringEquals "ACCEPTED"`). */
export function describeRule(rule: Record<string, unknown>): { short: string; full: string } {
  for (const op of ['And', 'Or'] as const) {
    const parts = rule[op];
    if (Array.isArray(parts)) {
      const inner = parts.map((p) => describeRule(p as Record<string, unknown>).full);
      return { short: `${op} (${parts.length})`, full: inner.join(` ${op.toUpperCase()} `) };
    }
  }
  if (rule.Not && typeof rule.Not === 'object') {
    const inner = describeRule(rule.Not as Record<string, unknown>);
    return { short: `not ${inner.short}`, full: `NOT (${inner.full})` };
  }
  const op = Object.keys(rule).find((k) => COMPARATORS.includes(k) || /Equals|Than|Matches|^Is/.test(k));
  if (!op) return { short: 'rule', full: JSON.stringify(rule) };
  const value = JSON.stringify(rule[op]);
  const variable = String(rule.Variable ?? '');
  const short = op === 'BooleanEquals' || op.startsWith('String') || op.startsWith('Numeric') ? `= ${String(rule[op])}` : `${op} ${value}`;
  return { short: short.length > 24 ? `${short.slice(0, 23)}…` : short, full: `${variable} ${op} ${value}` };
}

interface RawEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
  title: string;
}

function collectEdges(def: AslDefinition): RawEdge[] {
  const states = def.States ?? {};
  const edges: RawEdge[] = [{ from: START, to: String(def.StartAt), kind: 'start', title: 'Start' }];
  for (const [name, s] of Object.entries(states)) {
    if (s.Type === 'Choice') {
      (s.Choices ?? []).forEach((rule, i) => {
        const d = describeRule(rule);
        if (typeof rule.Next === 'string') edges.push({ from: name, to: rule.Next, kind: 'choice', label: d.short, title: `Rule ${i + 1}: ${d.full}` });
      });
      if (s.Default) edges.push({ from: name, to: s.Default, kind: 'default', label: 'Default', title: 'Default' });
    }
    if (s.Next) edges.push({ from: name, to: s.Next, kind: 'next', title: 'Next' });
    for (const c of s.Catch ?? []) {
      if (c.Next) edges.push({ from: name, to: c.Next, kind: 'catch', title: `Catch ${(c.ErrorEquals ?? []).join(', ')}` });
    }
    if (s.End === true || s.Type === 'Succeed' || s.Type === 'Fail') edges.push({ from: name, to: END, kind: 'end', title: s.Type === 'Fail' ? 'Execution fails' : 'End' });
  }
  // Two routes between the same states (a catch and a Next, say) are one line with both meanings.
  const merged = new Map<string, RawEdge>();
  for (const e of edges) {
    if (!(e.to in states) && e.to !== END) continue;
    const key = `${e.from}\u0000${e.to}`;
    const seen = merged.get(key);
    if (!seen) merged.set(key, { ...e });
    else {
      seen.title = `${seen.title}; ${e.title}`;
      if (!seen.label && e.label) seen.label = e.label;
    }
  }
  return [...merged.values()];
}

interface LayoutNode {
  id: string;
  width: number;
  height: number;
  layer: number;
  order: number;
  x: number;
  dummy: boolean;
}

/** Nodes reachable from `roots` in depth-first order, and the edges that close a cycle (back edges). */
function findBackEdges(ids: string[], out: Map<string, string[]>): Set<string> {
  const state = new Map<string, 0 | 1 | 2>();
  const back = new Set<string>();
  const visit = (root: string) => {
    // Iterative DFS: definitions can be long chains.
    const stack: { id: string; i: number }[] = [{ id: root, i: 0 }];
    state.set(root, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const next = (out.get(top.id) ?? [])[top.i++];
      if (next === undefined) {
        state.set(top.id, 2);
        stack.pop();
        continue;
      }
      const s = state.get(next) ?? 0;
      if (s === 1) back.add(`${top.id}\u0000${next}`);
      else if (s === 0) {
        state.set(next, 1);
        stack.push({ id: next, i: 0 });
      }
    }
  };
  for (const id of ids) if (!state.get(id)) visit(id);
  return back;
}

/** Positions in a layer, in order, with minimum gaps, as close as possible (least squares) to the wanted ones: pool-adjacent-violators. */
function placeInOrder(wanted: number[], gaps: number[]): number[] {
  // Shift out the gaps so the constraint becomes "non-decreasing".
  const offsets: number[] = [];
  let acc = 0;
  for (let i = 0; i < wanted.length; i++) {
    if (i > 0) acc += gaps[i - 1];
    offsets.push(acc);
  }
  const blocks: { sum: number; n: number }[] = [];
  for (let i = 0; i < wanted.length; i++) {
    blocks.push({ sum: wanted[i] - offsets[i], n: 1 });
    while (blocks.length > 1 && blocks[blocks.length - 2].sum / blocks[blocks.length - 2].n > blocks[blocks.length - 1].sum / blocks[blocks.length - 1].n) {
      const last = blocks.pop()!;
      blocks[blocks.length - 1].sum += last.sum;
      blocks[blocks.length - 1].n += last.n;
    }
  }
  const out: number[] = [];
  for (const b of blocks) for (let k = 0; k < b.n; k++) out.push(b.sum / b.n + offsets[out.length]);
  return out;
}

function crossings(layers: LayoutNode[][], edgesDown: Map<string, string[]>, byId: Map<string, LayoutNode>): number {
  let total = 0;
  for (let l = 0; l + 1 < layers.length; l++) {
    const pairs: [number, number][] = [];
    for (const n of layers[l]) for (const t of edgesDown.get(n.id) ?? []) pairs.push([n.order, byId.get(t)!.order]);
    for (let i = 0; i < pairs.length; i++) {
      for (let j = i + 1; j < pairs.length; j++) {
        const [a1, b1] = pairs[i];
        const [a2, b2] = pairs[j];
        if ((a1 - a2) * (b1 - b2) < 0) total++;
      }
    }
  }
  return total;
}

/** Lays out an ASL definition (object or JSON string) as a top-to-bottom graph. */
export function layoutDefinition(definition: string | object): StateGraph {
  const def = (typeof definition === 'string' ? JSON.parse(definition) : definition) as AslDefinition;
  const states = def.States ?? {};
  const raw = collectEdges(def);

  const nodes = new Map<string, LayoutNode>();
  const addNode = (id: string, width: number, height: number, dummy = false) => {
    nodes.set(id, { id, width, height, layer: 0, order: 0, x: 0, dummy });
  };
  addNode(START, TERMINAL.width, TERMINAL.height);
  // The type is in the node's tooltip and the state table; the box holds the name, on one line.
  for (const name of Object.keys(states)) addNode(name, Math.max(100, Math.ceil(name.length * NODE_CHAR_WIDTH) + 24), NODE_HEIGHT);
  addNode(END, TERMINAL.width, TERMINAL.height);

  // Cycles (Retry-like loops written as Next back up) are laid out with their back edge reversed.
  const out = new Map<string, string[]>();
  for (const e of raw) out.set(e.from, [...(out.get(e.from) ?? []), e.to]);
  const back = findBackEdges([START, ...Object.keys(states)], out);
  const forward = raw.map((e) => (back.has(`${e.from}\u0000${e.to}`) ? { from: e.to, to: e.from, reversed: true, edge: e } : { from: e.from, to: e.to, reversed: false, edge: e }));

  // Longest-path layering over the (now acyclic) edges; End always last.
  const preds = new Map<string, string[]>();
  for (const f of forward) preds.set(f.to, [...(preds.get(f.to) ?? []), f.from]);
  const layerOf = new Map<string, number>();
  const layerFor = (id: string, seen = new Set<string>()): number => {
    const known = layerOf.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0;
    seen.add(id);
    const ps = (preds.get(id) ?? []).filter((p) => p !== END);
    const l = ps.length ? Math.max(...ps.map((p) => layerFor(p, seen) + 1)) : id === START ? 0 : 1;
    layerOf.set(id, l);
    return l;
  };
  for (const id of nodes.keys()) if (id !== END) layerFor(id);
  const lastLayer = Math.max(0, ...[...layerOf.values()]) + 1;
  layerOf.set(END, lastLayer);
  for (const [id, n] of nodes) n.layer = layerOf.get(id) ?? 0;

  // Long edges get one dummy node per layer they cross, so they can be routed between nodes.
  const chains: { edge: RawEdge; reversed: boolean; path: string[] }[] = [];
  const down = new Map<string, string[]>();
  const up = new Map<string, string[]>();
  // How hard a link pulls its ends into line: the runbook's main path straight, catch edges loose.
  const weight = new Map<string, number>();
  const link = (a: string, b: string, w: number) => {
    down.set(a, [...(down.get(a) ?? []), b]);
    up.set(b, [...(up.get(b) ?? []), a]);
    weight.set(`${a}\u0000${b}`, w);
    weight.set(`${b}\u0000${a}`, w);
  };
  let dummies = 0;
  for (const f of forward) {
    const a = nodes.get(f.from)!;
    const b = nodes.get(f.to)!;
    const path = [a.id];
    for (let l = a.layer + 1; l < b.layer; l++) {
      const id = `__dummy${dummies++}`;
      addNode(id, DUMMY_WIDTH, NODE_HEIGHT, true);
      nodes.get(id)!.layer = l;
      path.push(id);
    }
    path.push(b.id);
    const base = f.edge.kind === 'catch' ? 0.25 : f.edge.kind === 'end' ? 0.5 : 1.5;
    for (let i = 0; i + 1 < path.length; i++) link(path[i], path[i + 1], base * (i > 0 && i + 2 < path.length ? 3 : 1));
    chains.push({ edge: f.edge, reversed: f.reversed, path });
  }

  const layers: LayoutNode[][] = Array.from({ length: lastLayer + 1 }, () => []);
  for (const n of nodes.values()) layers[n.layer].push(n);
  // Definition order first: a runbook reads left to right in the order it was written.
  layers.forEach((layer) =>
    layer.forEach((n, i) => {
      n.order = i;
    }),
  );

  const byId = nodes;
  const sortBy = (layer: LayoutNode[], neighbours: Map<string, string[]>) => {
    const bary = new Map<string, number>();
    for (const n of layer) {
      const ns = neighbours.get(n.id) ?? [];
      bary.set(n.id, ns.length ? ns.reduce((s, id) => s + byId.get(id)!.order, 0) / ns.length : n.order);
    }
    layer.sort((p, q) => bary.get(p.id)! - bary.get(q.id)! || p.order - q.order);
    layer.forEach((n, i) => {
      n.order = i;
    });
  };
  let best = crossings(layers, down, byId);
  let bestOrder = new Map([...nodes.values()].map((n) => [n.id, n.order]));
  for (let iter = 0; iter < 12 && best > 0; iter++) {
    if (iter % 2 === 0) for (let l = 1; l < layers.length; l++) sortBy(layers[l], up);
    else for (let l = layers.length - 2; l >= 0; l--) sortBy(layers[l], down);
    const c = crossings(layers, down, byId);
    if (c < best) {
      best = c;
      bestOrder = new Map([...nodes.values()].map((n) => [n.id, n.order]));
    }
  }
  for (const n of nodes.values()) n.order = bestOrder.get(n.id)!;
  for (const layer of layers) layer.sort((p, q) => p.order - q.order);

  // x: start packed and centred, then pull towards neighbours (dummies weigh more: long edges stay straight).
  const widest = Math.max(...layers.map((layer) => layer.reduce((s, n) => s + n.width, 0) + NODE_GAP * (layer.length - 1)));
  for (const layer of layers) {
    let x = (widest - (layer.reduce((s, n) => s + n.width, 0) + NODE_GAP * (layer.length - 1))) / 2;
    for (const n of layer) {
      n.x = x + n.width / 2;
      x += n.width + NODE_GAP;
    }
  }
  const gapsOf = (layer: LayoutNode[]) => layer.slice(1).map((n, i) => (layer[i].width + n.width) / 2 + (layer[i].dummy && n.dummy ? 8 : NODE_GAP));
  const relax = (layer: LayoutNode[], neighbours: Map<string, string[]>) => {
    const wanted = layer.map((n) => {
      const ns = (neighbours.get(n.id) ?? []).map((id) => byId.get(id)!);
      if (!ns.length) return n.x;
      const w = ns.map((m) => weight.get(`${n.id}\u0000${m.id}`) ?? 1);
      return ns.reduce((s, m, i) => s + m.x * w[i], 0) / w.reduce((s, v) => s + v, 0);
    });
    const xs = placeInOrder(wanted, gapsOf(layer));
    layer.forEach((n, i) => {
      n.x = xs[i];
    });
  };
  for (let iter = 0; iter < 10; iter++) {
    for (let l = 1; l < layers.length; l++) relax(layers[l], up);
    for (let l = layers.length - 2; l >= 0; l--) relax(layers[l], down);
  }
  // Both directions at once for the last pass: each node sits between its parents and children.
  const both = new Map<string, string[]>([...nodes.keys()].map((id) => [id, [...(up.get(id) ?? []), ...(down.get(id) ?? [])]]));
  for (let l = 0; l < layers.length; l++) relax(layers[l], both);

  const minX = Math.min(...[...nodes.values()].map((n) => n.x - n.width / 2));
  const maxX = Math.max(...[...nodes.values()].map((n) => n.x + n.width / 2));
  // Rows: a wider gap under a layer whose edges are labelled (the label sits on the edge's first segment).
  const labelledBelow = new Set(chains.filter((c) => c.edge.label).map((c) => Math.min(byId.get(c.path[0])!.layer, byId.get(c.path[c.path.length - 1])!.layer)));
  const tops: number[] = [];
  for (let l = 0, y = MARGIN; l <= lastLayer; l++) {
    tops.push(y);
    y += NODE_HEIGHT + (labelledBelow.has(l) ? LABELLED_LAYER_GAP : LAYER_GAP);
  }
  const rowY = (l: number) => tops[l] + NODE_HEIGHT / 2;
  for (const n of nodes.values()) n.x = Math.round(n.x - minX + MARGIN);

  // Edge ends: spread the exits along the bottom of a node and the entries along its top, ordered by where they go.
  const exits = new Map<string, { chain: number; toward: number }[]>();
  const entries = new Map<string, { chain: number; from: number }[]>();
  chains.forEach((c, i) => {
    const first = c.path[0];
    const last = c.path[c.path.length - 1];
    exits.set(first, [...(exits.get(first) ?? []), { chain: i, toward: byId.get(c.path[1])!.x }]);
    entries.set(last, [...(entries.get(last) ?? []), { chain: i, from: byId.get(c.path[c.path.length - 2])!.x }]);
  });
  const spread = (id: string, list: { chain: number; pos: number }[]) => {
    const n = byId.get(id)!;
    const usable = Math.min(n.width - 24, 28 * (list.length - 1));
    const sorted = [...list].sort((a, b) => a.pos - b.pos);
    return new Map(sorted.map((e, i) => [e.chain, n.x + (list.length === 1 ? 0 : -usable / 2 + (usable * i) / (list.length - 1))]));
  };
  const exitX = new Map<number, number>();
  const entryX = new Map<number, number>();
  for (const [id, list] of exits)
    for (const [c, x] of spread(
      id,
      list.map((e) => ({ chain: e.chain, pos: e.toward })),
    ))
      exitX.set(c, x);
  for (const [id, list] of entries)
    for (const [c, x] of spread(
      id,
      list.map((e) => ({ chain: e.chain, pos: e.from })),
    ))
      entryX.set(c, x);

  const edges: GraphEdge[] = chains.map((c, i) => {
    const first = byId.get(c.path[0])!;
    const last = byId.get(c.path[c.path.length - 1])!;
    const points = [
      { x: exitX.get(i)!, y: rowY(first.layer) + first.height / 2 },
      ...c.path.slice(1, -1).map((id) => ({ x: byId.get(id)!.x, y: rowY(byId.get(id)!.layer) })),
      { x: entryX.get(i)!, y: rowY(last.layer) - last.height / 2 },
    ];
    if (c.reversed) points.reverse();
    return {
      id: `e${i}`,
      from: c.edge.from,
      to: c.edge.to,
      kind: c.edge.kind,
      label: c.edge.label,
      title: c.edge.title,
      points: points.map((p) => ({ x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10 })),
    };
  });

  const graphNodes: GraphNode[] = [...nodes.values()]
    .filter((n) => !n.dummy)
    .map((n) => ({
      id: n.id,
      kind: n.id === START ? 'start' : n.id === END ? 'end' : 'state',
      label: n.id === START ? 'Start' : n.id === END ? 'End' : n.id,
      type: states[n.id]?.Type,
      comment: states[n.id]?.Comment,
      x: n.x,
      y: rowY(n.layer),
      width: n.width,
      height: n.height,
      layer: n.layer,
    }));

  const width = Math.ceil(maxX - minX + 2 * MARGIN);
  placeLabels(edges, graphNodes, width);
  return {
    startAt: String(def.StartAt),
    width,
    height: Math.ceil(rowY(lastLayer) + NODE_HEIGHT / 2 + MARGIN),
    nodes: graphNodes,
    edges,
  };
}

interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const overlap = (a: Box, b: Box) => Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)) * Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));

/** A point of the curve the browser draws between two polyline points (a cubic with vertical tangents). */
function onCurve(a: { x: number; y: number }, b: { x: number; y: number }, t: number) {
  const dy = (b.y - a.y) / 2;
  const u = 1 - t;
  const y = u * u * u * a.y + 3 * u * u * t * (a.y + dy) + 3 * u * t * t * (b.y - dy) + t * t * t * b.y;
  const x = u * u * u * a.x + 3 * u * u * t * a.x + 3 * u * t * t * b.x + t * t * t * b.x;
  return { x, y };
}

/** The box a label of this text takes, centred on a point. */
export function labelBox(text: string, at: { x: number; y: number }): Box {
  const w = text.length * LABEL_CHAR_WIDTH + 8;
  return { x0: at.x - w / 2, y0: at.y - LABEL_HEIGHT / 2, x1: at.x + w / 2, y1: at.y + LABEL_HEIGHT / 2 };
}

/**
 * Puts each edge label on its curve, nearest the source first (where the
 * Step Functions console writes them), at the first spot clear of every node
 * and of the labels already placed; when none is, the spot that overlaps least.
 */
function placeLabels(edges: GraphEdge[], nodes: GraphNode[], width: number): void {
  const nodeBoxes = nodes.map((n) => ({ x0: n.x - n.width / 2 - 2, y0: n.y - n.height / 2 - 2, x1: n.x + n.width / 2 + 2, y1: n.y + n.height / 2 + 2 }));
  const placed: Box[] = [];
  const T = [0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78];
  for (const e of edges) {
    if (!e.label) continue;
    const label = e.label;
    const segments = e.points.slice(1).map((b, i) => [e.points[i], b] as const);
    let best: { at: { x: number; y: number }; cost: number } | undefined;
    for (const [a, b] of segments) {
      for (const t of T) {
        const p = onCurve(a, b, t);
        const at = { x: Math.min(Math.max(p.x, (label.length * LABEL_CHAR_WIDTH) / 2 + 6), width - (label.length * LABEL_CHAR_WIDTH) / 2 - 6), y: p.y };
        const box = labelBox(label, at);
        const cost = [...nodeBoxes, ...placed].reduce((sum, other) => sum + overlap(box, other), 0);
        if (!best || cost < best.cost) best = { at, cost };
        if (cost === 0) break;
      }
      if (best?.cost === 0) break;
    }
    if (!best) continue;
    e.labelAt = { x: Math.round(best.at.x * 10) / 10, y: Math.round(best.at.y * 10) / 10 };
    placed.push(labelBox(label, e.labelAt));
  }
}
