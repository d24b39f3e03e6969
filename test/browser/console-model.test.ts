import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { END, START, labelBox, layoutDefinition } from '../../local/console/graph.js';
import { readHistory } from '../../local/console/history.js';
import { HIDDEN, Redactor } from '../../local/console/redact.js';
import type { HistoryEvent } from '../../local/stepfunctions/model.js';

/*
 * What the console's pages are drawn from, without a browser: the graph
 * layout of the real ASL file, the reading of an execution history, and the
 * task-token redaction every console response goes through.
 */

const definition = parse(readFileSync(join(process.cwd(), 'statemachines/certificate-transfer.asl.yml'), 'utf8')) as {
  StartAt: string;
  States: Record<string, { Type: string; Next?: string; Catch?: { Next: string }[] }>;
};

describe('graph layout of the certificate-transfer definition', () => {
  const graph = layoutDefinition(definition);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));

  it('has one node per state, plus Start and End', () => {
    expect(
      graph.nodes
        .filter((n) => n.kind === 'state')
        .map((n) => n.id)
        .sort(),
    ).toEqual(Object.keys(definition.States).sort());
    expect(byId.get(START)?.layer).toBe(0);
    expect(byId.get(END)?.layer).toBe(Math.max(...graph.nodes.map((n) => n.layer)));
  });

  it('draws every transition of the definition: Next, Choice rules, Default, Catch', () => {
    const edges = new Set(graph.edges.map((e) => `${e.from} -> ${e.to}`));
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Next) expect(edges).toContain(`${name} -> ${state.Next}`);
      for (const c of state.Catch ?? []) expect(edges).toContain(`${name} -> ${c.Next}`);
    }
    expect(graph.edges.find((e) => e.from === 'Accepted?' && e.to === 'Record Acceptance')).toMatchObject({ kind: 'choice', label: '= ACCEPTED' });
    expect(graph.edges.find((e) => e.from === 'Accepted?' && e.to === 'Mark Rejected')).toMatchObject({ kind: 'default' });
    expect(graph.edges.find((e) => e.from === 'Notify Target And Wait' && e.to === 'Mark Expired')).toMatchObject({ kind: 'catch', title: 'Catch States.Timeout' });
  });

  const isLoop = (e: { from: string; to: string }) => byId.get(e.to)!.layer <= byId.get(e.from)!.layer;

  it('lays out top to bottom: every edge goes down, no two nodes overlap, all inside the canvas', () => {
    // The only edges that go up are the loops a Choice closes (More Policies? → Detach Policies).
    for (const e of graph.edges) {
      if (isLoop(e)) expect(e.from, `${e.from} -> ${e.to} goes up`).toMatch(/\?$/);
      else expect(byId.get(e.to)!.layer, `${e.from} -> ${e.to}`).toBeGreaterThan(byId.get(e.from)!.layer);
    }
    for (const a of graph.nodes) {
      expect(a.x - a.width / 2).toBeGreaterThanOrEqual(0);
      expect(a.x + a.width / 2).toBeLessThanOrEqual(graph.width);
      expect(a.y + a.height / 2).toBeLessThanOrEqual(graph.height);
      for (const b of graph.nodes) {
        if (a === b || a.layer !== b.layer) continue;
        expect(Math.abs(a.x - b.x), `${a.id} / ${b.id}`).toBeGreaterThanOrEqual((a.width + b.width) / 2);
      }
    }
  });

  it('starts each edge on its source node and ends it on its target node', () => {
    for (const e of graph.edges.filter((edge) => !isLoop(edge))) {
      const from = byId.get(e.from)!;
      const to = byId.get(e.to)!;
      const first = e.points[0];
      const last = e.points[e.points.length - 1];
      expect(first.y).toBeCloseTo(from.y + from.height / 2, 0);
      expect(Math.abs(first.x - from.x)).toBeLessThanOrEqual(from.width / 2);
      expect(last.y).toBeCloseTo(to.y - to.height / 2, 0);
      expect(Math.abs(last.x - to.x)).toBeLessThanOrEqual(to.width / 2);
    }
  });

  it('places every edge label clear of the nodes and of the other labels (the fan out of Which Outcome? too)', () => {
    const area = (a: ReturnType<typeof labelBox>, b: ReturnType<typeof labelBox>) =>
      Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)) * Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
    const labelled = graph.edges.filter((e) => e.label);
    expect(labelled.filter((e) => e.from === 'Which Outcome?')).toHaveLength(6);
    const boxes = labelled.map((e) => ({ e, box: labelBox(e.label!, e.labelAt!) }));
    for (const [i, a] of boxes.entries()) {
      expect(a.box.x0).toBeGreaterThanOrEqual(0);
      expect(a.box.x1).toBeLessThanOrEqual(graph.width);
      for (const b of boxes.slice(i + 1)) expect(area(a.box, b.box), `${a.e.label} (${a.e.from}) / ${b.e.label} (${b.e.from})`).toBe(0);
      for (const n of graph.nodes) expect(area(a.box, { x0: n.x - n.width / 2, y0: n.y - n.height / 2, x1: n.x + n.width / 2, y1: n.y + n.height / 2 }), `${a.e.label} / ${n.id}`).toBe(0);
    }
  });

  it('lays out a loop (a back edge) without failing', () => {
    const loop = layoutDefinition({
      StartAt: 'Poll',
      States: {
        Poll: { Type: 'Task', Resource: 'x', Next: 'Done?' },
        'Done?': { Type: 'Choice', Choices: [{ Variable: '$.done', BooleanEquals: true, Next: 'Finish' }], Default: 'Poll' },
        Finish: { Type: 'Succeed' },
      },
    });
    expect(loop.nodes.map((n) => n.id)).toEqual(expect.arrayContaining(['Poll', 'Done?', 'Finish']));
    const back = loop.edges.find((e) => e.from === 'Done?' && e.to === 'Poll')!;
    expect(back.points[0].y).toBeGreaterThan(back.points[back.points.length - 1].y);
  });
});

describe('reading an execution history', () => {
  let id = 0;
  const ev = (type: string, details?: Record<string, unknown>, key?: string): HistoryEvent => {
    id += 1;
    const e: HistoryEvent = { id, previousEventId: id - 1, timestamp: new Date(1_700_000_000_000 + id * 10), type };
    if (key) e[key as `${string}EventDetails`] = details;
    return e;
  };
  const entered = (type: string, name: string) => ev(`${type}StateEntered`, { name, input: '{}' }, 'stateEnteredEventDetails');
  const exited = (type: string, name: string) => ev(`${type}StateExited`, { name, output: '{}' }, 'stateExitedEventDetails');

  it('colours states by outcome: succeeded, retried, caught, failed; the Fail state is current at the end', () => {
    const history = [
      ev('ExecutionStarted', { input: '{}' }, 'executionStartedEventDetails'),
      entered('Task', 'Transfer Certificate'),
      ev('LambdaFunctionScheduled', {}, 'lambdaFunctionScheduledEventDetails'),
      ev('LambdaFunctionFailed', { error: 'TransferConflictException', cause: 'attached' }, 'lambdaFunctionFailedEventDetails'),
      ev('LambdaFunctionScheduled', {}, 'lambdaFunctionScheduledEventDetails'),
      ev('LambdaFunctionSucceeded', { output: '{}' }, 'lambdaFunctionSucceededEventDetails'),
      exited('Task', 'Transfer Certificate'),
      entered('Task', 'Notify Target And Wait'),
      ev('TaskScheduled', { parameters: '{}' }, 'taskScheduledEventDetails'),
      ev('TaskFailed', { error: 'TransferCancelled', cause: 'oops' }, 'taskFailedEventDetails'),
      exited('Task', 'Notify Target And Wait'),
      entered('Fail', 'Transfer Cancelled'),
      ev('ExecutionFailed', { error: 'TransferCancelled' }, 'executionFailedEventDetails'),
    ];

    const path = readHistory(history, { status: 'FAILED', activeStates: [] });

    expect(path.states['Transfer Certificate']).toMatchObject({ outcome: 'succeeded', retries: 1, entered: 1 });
    expect(path.states['Notify Target And Wait']).toMatchObject({ outcome: 'caught', error: { error: 'TransferCancelled', cause: 'oops' } });
    expect(path.states['Transfer Cancelled'].outcome).toBe('failed');
    expect(path.current).toEqual(['Transfer Cancelled']);
    expect(path.transitions).toEqual([
      { from: START, to: 'Transfer Certificate' },
      { from: 'Transfer Certificate', to: 'Notify Target And Wait' },
      { from: 'Notify Target And Wait', to: 'Transfer Cancelled' },
      { from: 'Transfer Cancelled', to: END },
    ]);
    expect(path.rows.find((r) => r.type === 'TaskFailed')).toMatchObject({ state: 'Notify Target And Wait', elapsedMs: 90 });
    // The state table: one row per state entered, from Entered to Exited (the Fail state to the end of the execution).
    expect(path.transitionCount).toBe(3);
    expect(path.visits.map((v) => [v.state, v.type, v.outcome, v.durationMs, v.retries])).toEqual([
      ['Transfer Certificate', 'Task', 'succeeded', 50, 1],
      ['Notify Target And Wait', 'Task', 'caught', 30, 0],
      ['Transfer Cancelled', 'Fail', 'failed', 10, 0],
    ]);
  });

  it('marks the active states of a running execution as current and in progress', () => {
    const path = readHistory([ev('ExecutionStarted'), entered('Task', 'Notify Target And Wait'), ev('TaskScheduled')], { status: 'RUNNING', activeStates: ['Notify Target And Wait'] });
    expect(path.current).toEqual(['Notify Target And Wait']);
    expect(path.states['Notify Target And Wait'].outcome).toBe('running');
    expect(path.visits).toHaveLength(1);
    expect(path.visits[0]).toMatchObject({ state: 'Notify Target And Wait', outcome: 'running' });
    expect(path.visits[0].durationMs).toBeUndefined();
  });
});

describe('task-token redaction', () => {
  const token = 'AQAAAZrQv1c8Nw0aGmS3xTqVb2zKc9YtWm4pLr8sHj6dFe1gUiOoPaQ';

  it('hides a token by name, inside JSON-encoded strings too, and by value everywhere else', () => {
    const redactor = new Redactor();
    const parameters = JSON.stringify({ FunctionName: 'notify', Payload: { state: { transferId: 't-1' }, taskToken: token } });

    const out = redactor.redact({ history: [{ taskScheduledEventDetails: { parameters } }], record: { taskToken: token }, note: `copied ${token} here` });

    expect(JSON.stringify(out)).not.toContain(token);
    expect(JSON.parse(out.history[0].taskScheduledEventDetails.parameters)).toMatchObject({ Payload: { taskToken: HIDDEN, state: { transferId: 't-1' } } });
    expect(out.record.taskToken).toBe(HIDDEN);
    expect(out.note).toBe(`copied ${HIDDEN} here`);
  });

  it('leaves everything else as it was', () => {
    const value = { a: 1, b: ['x', { c: '{"d": 2}' }], when: new Date(0) };
    expect(new Redactor().redact(value)).toEqual(value);
  });
});
