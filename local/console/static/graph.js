/**
 * Draws the laid-out state machine (positions come from the server, computed
 * from the ASL definition) as SVG, coloured by what the execution history
 * says about each state, the current state ringed, the path taken in bold.
 */
import { h, s } from './dom.js';

export const OUTCOME_LABELS = {
  running: 'In progress',
  succeeded: 'Succeeded',
  caught: 'Caught error',
  failed: 'Failed',
  aborted: 'Aborted',
  ended: 'Expected end',
  none: 'Not run',
};

/** Smooth curve through the edge's points: vertical tangents at each point. */
function pathOf(points) {
  let d = `M ${points[0].x} ${points[0].y}`;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    const dy = (b.y - a.y) / 2;
    d += ` C ${a.x} ${a.y + dy}, ${b.x} ${b.y - dy}, ${b.x} ${b.y}`;
  }
  return d;
}

/**
 * The server sizes each box for its text with average character widths; where
 * the browser's font runs wider, the text is condensed to fit its box rather
 * than cut (call once the SVG is in the document).
 */
export function fitLabels(svg) {
  for (const text of svg.querySelectorAll('text[data-fit]')) {
    const room = Number(text.dataset.fit);
    if (text.getComputedTextLength() > room) {
      text.setAttribute('textLength', String(room));
      text.setAttribute('lengthAdjust', 'spacingAndGlyphs');
    }
  }
}

/**
 * @param graph   {width, height, nodes, edges} from the server
 * @param run     {states: {name: {outcome, entered, retries}}, current: [names], transitions: [{from, to}]}
 * @param options {selected, onSelect(name)}
 */
export function drawGraph(graph, run, { selected, onSelect } = {}) {
  const taken = new Set(run.transitions.map((t) => `${t.from}\u0000${t.to}`));
  const current = new Set(run.current);
  const svg = s('svg', {
    viewBox: `0 0 ${graph.width} ${graph.height}`,
    width: String(graph.width),
    height: String(graph.height),
    class: 'graph-svg',
    role: 'group',
    'aria-label': `State machine graph: ${graph.nodes.filter((n) => n.kind === 'state').length} states. Use Tab to move between states and Enter to see a state's input and output.`,
  });
  svg.append(
    s(
      'defs',
      {},
      s(
        'marker',
        { id: 'arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerUnits: 'userSpaceOnUse', markerWidth: '9', markerHeight: '9', orient: 'auto-start-reverse' },
        s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow' }),
      ),
      s(
        'marker',
        { id: 'arrow-taken', viewBox: '0 0 10 10', refX: '9', refY: '5', markerUnits: 'userSpaceOnUse', markerWidth: '11', markerHeight: '11', orient: 'auto-start-reverse' },
        s('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-taken' }),
      ),
    ),
  );

  const edges = s('g', { class: 'edges', 'aria-hidden': 'true' });
  const labels = s('g', { class: 'edge-labels', 'aria-hidden': 'true' });
  for (const e of graph.edges) {
    const isTaken = taken.has(`${e.from}\u0000${e.to}`);
    edges.append(
      s(
        'path',
        {
          d: pathOf(e.points),
          class: ['edge', `edge-${e.kind}`, isTaken && 'edge-taken'],
          'marker-end': isTaken ? 'url(#arrow-taken)' : 'url(#arrow)',
          dataset: { from: e.from, to: e.to },
        },
        s('title', {}, e.title),
      ),
    );
    if (e.label && e.labelAt) {
      // Where the server placed it: on the curve, clear of the nodes and of the other labels.
      labels.append(
        s('text', { x: String(e.labelAt.x), y: String(e.labelAt.y + 5), 'text-anchor': 'middle', class: ['edge-label', isTaken && 'edge-label-taken'], dataset: { from: e.from, to: e.to } }, e.label),
      );
    }
  }
  svg.append(edges, labels);

  const nodes = s('g', { class: 'nodes' });
  for (const n of graph.nodes) {
    const x = n.x - n.width / 2;
    const y = n.y - n.height / 2;
    if (n.kind !== 'state') {
      const reached = n.kind === 'start' ? run.transitions.length > 0 : run.transitions.some((t) => t.to === n.id);
      nodes.append(
        s(
          'g',
          { class: ['terminal', reached && 'terminal-reached'], dataset: { node: n.kind }, 'aria-hidden': 'true' },
          s('rect', { x: String(x), y: String(y), width: String(n.width), height: String(n.height), rx: String(n.height / 2) }),
          s('text', { x: String(n.x), y: String(n.y + 5), 'text-anchor': 'middle' }, n.label),
        ),
      );
      continue;
    }
    const st = run.states[n.id];
    const outcome = st?.outcome ?? 'none';
    const isCurrent = current.has(n.id);
    const description = `${n.label}, ${n.type ?? 'state'}: ${OUTCOME_LABELS[outcome]}${isCurrent ? ', current state' : ''}${st?.retries ? `, ${st.retries} ${st.retries === 1 ? 'retry' : 'retries'}` : ''}`;
    const g = s('g', {
      class: ['node', `node-${outcome}`, isCurrent && 'node-current', selected === n.id && 'node-selected'],
      role: 'button',
      tabindex: '0',
      'aria-label': description,
      'aria-pressed': String(selected === n.id),
      dataset: { state: n.id, outcome, current: isCurrent ? 'true' : 'false', key: `node-${n.id}` },
    });
    g.append(s('title', {}, n.comment ? `${description}\n${n.comment}` : description));
    if (isCurrent) g.append(s('rect', { class: 'current-ring', x: String(x - 5), y: String(y - 5), width: String(n.width + 10), height: String(n.height + 10), rx: '11' }));
    g.append(s('rect', { class: 'node-box', x: String(x), y: String(y), width: String(n.width), height: String(n.height), rx: '7' }));
    g.append(s('text', { class: 'node-label', x: String(n.x), y: String(n.y + 6), 'text-anchor': 'middle', dataset: { fit: String(n.width - 14) } }, n.label));
    // Entered more than once, or retried: a small tag on the box's corner.
    const tag = [st && st.entered > 1 ? `×${st.entered}` : null, st?.retries ? `${st.retries} retr${st.retries === 1 ? 'y' : 'ies'}` : null].filter(Boolean).join(' · ');
    if (tag) {
      const w = tag.length * 7 + 12;
      g.append(s('rect', { class: 'node-tag', x: String(x + n.width - w + 6), y: String(y - 9), width: String(w), height: '16', rx: '8' }));
      g.append(s('text', { class: 'node-tag-text', x: String(x + n.width - w / 2 + 6), y: String(y + 3), 'text-anchor': 'middle' }, tag));
    }
    if (onSelect) {
      g.addEventListener('click', () => onSelect(n.id));
      g.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          onSelect(n.id);
        }
      });
    }
    nodes.append(g);
  }
  svg.append(nodes);
  return svg;
}

export function legend() {
  return h(
    'ul',
    { class: 'legend', 'aria-label': 'Legend' },
    ['running', 'succeeded', 'caught', 'failed', 'ended', 'aborted', 'none'].map((o) => h('li', {}, h('span', { class: ['swatch', `swatch-${o}`], 'aria-hidden': 'true' }), OUTCOME_LABELS[o])),
    h('li', {}, h('span', { class: 'swatch swatch-current', 'aria-hidden': 'true' }), 'Current state'),
    h('li', {}, h('span', { class: 'line line-catch', 'aria-hidden': 'true' }), 'Catch'),
    h('li', {}, h('span', { class: 'line line-taken', 'aria-hidden': 'true' }), 'Path taken'),
  );
}
