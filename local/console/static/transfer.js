/* global HTMLDialogElement, CSS */
import { RESTORE_LABELS, STATUS_LABELS, ageTime, badge, codeBlock, duration, formatTime, getJson, h, liveFeed, postJson, short, stamp, swap } from './dom.js';
import { OUTCOME_LABELS, drawGraph, fitLabels, legend } from './graph.js';

const TABS = [
  { id: 'history', label: 'History' },
  { id: 'states', label: 'States' },
  { id: 'certificate', label: 'Certificate' },
  { id: 'events', label: 'Events' },
  { id: 'notifications', label: 'Notifications' },
  { id: 'record', label: 'Record' },
];

const FAILED_EVENT = /Failed$|TimedOut$|Aborted$/;
const DONE_EVENT = /Succeeded$|Exited$/;
const FINAL = new Set(['ACCEPTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED', 'RESTORE_FAILED']);
/**
 * Outcomes the workflow is built to reach: it ends them in a Fail state, so
 * Step Functions reports the execution FAILED with this error, but nothing
 * went wrong.
 */
const EXPECTED_ERRORS = { TransferRejected: 'REJECTED', TransferCancelled: 'CANCELLED', TransferExpired: 'EXPIRED' };

/**
 * The Fail state an expected outcome ends in is drawn as an end, not as a
 * failure (Step Functions would colour it red).
 */
function expectedEnd(d) {
  const ex = d.execution;
  const state = d.current[0];
  if (ex?.status !== 'FAILED' || EXPECTED_ERRORS[ex.error] !== d.transfer.displayStatus || d.states[state]?.outcome !== 'failed') return d;
  d.states[state].outcome = 'ended';
  for (const v of d.visits) if (v.state === state && v.outcome === 'failed') v.outcome = 'ended';
  return d;
}

// ───────────────────────── sections ─────────────────────────

/** Milliseconds from `from` to `to` (or now): live, see `tick`. */
function since(from, to) {
  return h('span', { dataset: to ? {} : { since: from } }, duration((to ? Date.parse(to) : Date.now()) - Date.parse(from)));
}

/** What the transfer came to, why, and what became of the certificate; its tone says whether anything needs doing. */
function outcome(d) {
  const t = d.transfer;
  const ex = d.execution;
  const st = t.displayStatus;
  const tone = st === 'ACCEPTED' ? 'ok' : st === 'FAILED' || st === 'RESTORE_FAILED' ? 'bad' : FINAL.has(st) ? 'expected' : 'progress';
  const target = h('span', { class: 'mono' }, t.targetAccount);
  const headline = {
    ACCEPTED: ['Accepted: the certificate moved to ', target, t.decision ? ` (${t.decision.via === 'reconciler' ? 'decided by hand, settled by the reconciler' : 'decided by the target kit'})` : ''],
    REJECTED: ['Rejected by the target account ', target],
    CANCELLED: ['Cancelled by an operator'],
    EXPIRED: [`Expired: no decision within ${t.timeoutSeconds} s`],
    FAILED: ['Failed'],
    RESTORE_FAILED: ['Restore failed: the certificate is not back as it was'],
    CANCELLING: ['Cancel requested at ', stamp(t.cancelRequestedAt), ': withdrawing the offer and restoring the certificate'],
    AWAITING_DECISION: ['Awaiting the decision of ', target, t.expiresAt ? [' until ', stamp(t.expiresAt)] : ''],
  }[st] ?? [`In progress${d.current.length ? ': ' : ''}`, d.current.length ? h('strong', {}, d.current.join(', ')) : ''];
  const reason = st === 'REJECTED' ? (t.decision?.reason ?? t.reason) : st === 'CANCELLED' || st === 'CANCELLING' ? (t.cancelReason ?? t.reason) : FINAL.has(st) ? t.reason : undefined;
  const restore = t.restore
    ? `${RESTORE_LABELS[t.restore.status] ?? t.restore.status}${t.restore.status === 'RESTORED' ? ` in ${t.sourceAccount}: active again, with its policies and things` : ''}${t.restore.error ? `: ${t.restore.error}` : ''}`
    : null;
  const expected = ex?.status === 'FAILED' && EXPECTED_ERRORS[ex.error] === st;
  return h(
    'section',
    { class: 'outcome-banner', id: 'outcome', dataset: { tone }, 'aria-label': 'Outcome' },
    h('p', { class: 'outcome-line' }, h('strong', {}, headline)),
    reason ? h('p', { class: 'outcome-reason', id: 'outcome-reason' }, h('span', { class: 'k' }, 'Reason: '), reason) : null,
    restore ? h('p', { class: 'outcome-restore' }, h('span', { class: 'k' }, 'Certificate: '), restore) : null,
    expected
      ? h(
          'p',
          { class: 'small muted outcome-note' },
          'An expected outcome, not an error: the workflow ends it in its ',
          h('strong', {}, d.current[0] ?? 'Fail'),
          ' state, which Step Functions reports as an execution FAILED with ',
          h('code', {}, ex.error),
          '.',
        )
      : null,
  );
}

function executionStatus(ex, st) {
  if (!ex) return h('span', { class: 'muted' }, 'not in the local Step Functions');
  if (ex.status === 'FAILED' && EXPECTED_ERRORS[ex.error] === st) {
    return h('span', { class: 'badge badge-ended', title: `Step Functions status FAILED (${ex.error}): an expected outcome` }, 'Ended', h('span', { class: 'badge-sub' }, ` · ${ex.error}`));
  }
  return badge(ex.status);
}

function head(d) {
  const t = d.transfer;
  const ex = d.execution;
  const expected = ex?.status === 'FAILED' && EXPECTED_ERRORS[ex.error] === t.displayStatus;
  return h(
    'div',
    { class: 'page-head' },
    h(
      'nav',
      { 'aria-label': 'Breadcrumb', class: 'crumbs' },
      h('ol', {}, h('li', {}, h('a', { href: '/console' }, 'Transfers')), h('li', { 'aria-current': 'page' }, h('span', { class: 'mono' }, t.transferId))),
    ),
    h('h1', {}, 'Transfer ', h('span', { class: 'mono', title: t.transferId }, short(t.transferId, 13)), ' ', badge(t.displayStatus, 'badge-lg')),
    outcome(d),
    h(
      'dl',
      { class: 'facts' },
      h('div', {}, h('dt', {}, 'Certificate'), h('dd', { class: 'mono', title: t.certificateId }, short(t.certificateId, 16))),
      h('div', {}, h('dt', {}, 'Source → target'), h('dd', {}, h('span', { class: 'mono' }, t.sourceAccount), ' → ', h('span', { class: 'mono' }, t.targetAccount))),
      h('div', {}, h('dt', {}, 'Execution'), h('dd', { id: 'fact-execution' }, executionStatus(ex, t.displayStatus))),
      h('div', {}, h('dt', {}, 'Started'), h('dd', {}, stamp(ex?.startDate ?? t.createdAt), ' · ', ageTime(ex?.startDate ?? t.createdAt), ' ago')),
      ex?.stopDate ? h('div', {}, h('dt', {}, 'Ended'), h('dd', {}, stamp(ex.stopDate))) : null,
      ex ? h('div', {}, h('dt', {}, 'Duration'), h('dd', { id: 'fact-duration' }, since(ex.startDate, ex.stopDate), ex.stopDate ? '' : ' so far')) : null,
      ex ? h('div', {}, h('dt', {}, 'State transitions'), h('dd', { id: 'fact-transitions' }, String(d.transitionCount))) : null,
      ex?.error && !expected ? h('div', { class: 'fact-wide' }, h('dt', {}, 'Error'), h('dd', {}, h('strong', {}, ex.error), ex.cause ? h('span', { class: 'muted' }, ` ${ex.cause}`) : '')) : null,
      t.batchId ? h('div', {}, h('dt', {}, 'Batch'), h('dd', {}, h('a', { href: `/console?batch=${encodeURIComponent(t.batchId)}`, class: 'mono', title: t.batchId }, short(t.batchId, 12)))) : null,
      t.transferMessage ? h('div', { class: 'fact-wide' }, h('dt', {}, 'Message'), h('dd', {}, t.transferMessage)) : null,
      h('div', { class: 'fact-full' }, h('dt', {}, 'Execution ARN'), h('dd', { class: 'mono wrap', id: 'fact-arn' }, t.executionArn)),
    ),
  );
}

function actions(d, act) {
  const a = d.actions;
  if (!a.cancel.allowed && !a.decide.allowed) return null;
  return h(
    'div',
    { class: 'actions-bar' },
    a.cancel.allowed
      ? h(
          'div',
          { class: 'action-group' },
          h('button', { type: 'button', class: 'btn btn-danger', dataset: { key: 'btn-cancel' }, 'aria-describedby': 'cancel-help', on: { click: () => act('cancel') } }, 'Cancel transfer…'),
          h('p', { class: 'muted small', id: 'cancel-help' }, 'Withdraws the offer and restores the certificate: a signed ', h('code', {}, 'DELETE /transfers/{id}'), ' as the source account.'),
        )
      : null,
    a.decide.allowed
      ? h(
          'div',
          { class: 'action-group' },
          h(
            'div',
            { class: 'row' },
            h('span', { class: 'as' }, 'As the target ', h('span', { class: 'mono' }, a.decide.account), h('span', { class: 'tag' }, 'local demo')),
            h('button', { type: 'button', class: 'btn btn-primary', dataset: { key: 'btn-accept' }, 'aria-describedby': 'decide-help', on: { click: () => act('accept') } }, 'Accept…'),
            h('button', { type: 'button', class: 'btn', dataset: { key: 'btn-reject' }, 'aria-describedby': 'decide-help', on: { click: () => act('reject') } }, 'Reject…'),
          ),
          h(
            'p',
            { class: 'muted small', id: 'decide-help' },
            "The target account's own IoT call, as ",
            h('code', {}, 'aws iot accept-certificate-transfer'),
            ' makes it; it sends no event, so the reconciler settles the transfer.',
          ),
        )
      : null,
  );
}

function stateDetail(d, name) {
  if (!name) return h('p', { class: 'muted' }, 'Select a state in the graph to see its input and output.');
  const run = d.states[name];
  const node = d.graph?.nodes.find((n) => n.id === name);
  const entered = [...d.history].reverse().find((r) => r.type.endsWith('StateEntered') && r.state === name);
  const exited = [...d.history].reverse().find((r) => r.type.endsWith('StateExited') && r.state === name);
  return h(
    'div',
    { class: 'state-detail' },
    h('h3', {}, name, ' ', h('span', { class: ['outcome-tag', `outcome-${run?.outcome ?? 'none'}`] }, OUTCOME_LABELS[run?.outcome ?? 'none'])),
    h('p', { class: 'muted' }, [node?.type, node?.comment].filter(Boolean).join(' · ')),
    run
      ? h('p', {}, `Entered ${run.entered}×`, run.retries ? `, ${run.retries} ${run.retries === 1 ? 'retry' : 'retries'}` : '', run.enteredAt ? [' · last at ', stamp(run.enteredAt)] : '')
      : h('p', { class: 'muted' }, 'Not run in this execution.'),
    run ? h('p', {}, 'Time in this state: ', h('strong', {}, stateTime(d, name))) : null,
    run?.error ? h('p', { class: 'error' }, h('strong', {}, run.error.error ?? 'Error'), run.error.cause ? `: ${run.error.cause}` : '') : null,
    entered?.details?.input !== undefined ? h('details', { dataset: { key: `sd-in-${name}` } }, h('summary', {}, 'Input'), codeBlock(entered.details.input, `${name} input`)) : null,
    exited?.details?.output !== undefined ? h('details', { dataset: { key: `sd-out-${name}` } }, h('summary', {}, 'Output'), codeBlock(exited.details.output, `${name} output`)) : null,
  );
}

/** Total time the execution spent in a state, over every visit (the one in progress counts up). */
function stateTime(d, name) {
  const visits = d.visits.filter((v) => v.state === name);
  const open = visits.find((v) => v.durationMs === undefined);
  const closed = visits.reduce((sum, v) => sum + (v.durationMs ?? 0), 0);
  return open ? h('span', { dataset: { since: open.enteredAt, plus: String(closed) } }, duration(closed + Date.now() - Date.parse(open.enteredAt))) : duration(closed);
}

/** Every state entered, in order, with when and for how long: the Step Functions console's table view. */
function statesPanel(d) {
  if (!d.visits.length) return h('p', { class: 'muted' }, 'No state entered yet.');
  const total = d.execution ? (d.execution.stopDate ? Date.parse(d.execution.stopDate) : Date.now()) - Date.parse(d.execution.startDate) : 0;
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'muted small' },
      `${d.transitionCount} state transition${d.transitionCount === 1 ? '' : 's'}`,
      d.execution ? ` · ${duration(total)} in all${d.execution.stopDate ? '' : ' so far'}` : '',
    ),
    h(
      'div',
      { class: 'table-wrap', 'data-scroll-key': 'states' },
      h(
        'table',
        { class: 'grid state-table', id: 'state-table' },
        h('caption', { class: 'sr-only' }, 'States entered, in order, with their start, end and duration'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, '#'),
            h('th', { scope: 'col' }, 'State'),
            h('th', { scope: 'col' }, 'Type'),
            h('th', { scope: 'col' }, 'Status'),
            h('th', { scope: 'col' }, 'Started'),
            h('th', { scope: 'col' }, 'Ended'),
            h('th', { scope: 'col', class: 'num' }, 'Duration'),
            h('th', { scope: 'col', class: 'num' }, 'Retries'),
          ),
        ),
        h(
          'tbody',
          {},
          d.visits.map((v, i) =>
            h(
              'tr',
              { dataset: { state: v.state, outcome: v.outcome } },
              h('td', { 'data-label': '#', class: 'muted' }, String(i + 1)),
              h('th', { scope: 'row', 'data-label': 'State' }, h('button', { type: 'button', class: 'linkish', dataset: { select: v.state } }, v.state)),
              h('td', { 'data-label': 'Type' }, v.type),
              h('td', { 'data-label': 'Status' }, h('span', { class: ['outcome-tag', `outcome-${v.outcome}`] }, OUTCOME_LABELS[v.outcome])),
              h('td', { 'data-label': 'Started' }, stamp(v.enteredAt)),
              h('td', { 'data-label': 'Ended' }, v.exitedAt ? stamp(v.exitedAt) : h('span', { class: 'muted' }, '—')),
              h('td', { 'data-label': 'Duration', class: 'num duration' }, v.durationMs === undefined ? [since(v.enteredAt), ' so far'] : duration(v.durationMs)),
              h('td', { 'data-label': 'Retries', class: 'num' }, String(v.retries)),
            ),
          ),
        ),
      ),
    ),
  );
}

const DETAIL_ORDER = ['name', 'resource', 'resourceType', 'error', 'cause', 'input', 'parameters', 'output'];

function historyPanel(d) {
  if (!d.history.length) return h('p', { class: 'muted' }, 'No execution history.');
  return [
    h(
      'div',
      { class: 'ev-head', 'aria-hidden': 'true' },
      h('div', { class: 'ev-row' }, h('span', {}, '#'), h('span', {}, 'Type'), h('span', {}, 'State'), h('span', {}, 'Timestamp'), h('span', { class: 'ev-time' }, 'Elapsed')),
    ),
    h(
      'ol',
      { class: 'history', id: 'history-list', 'aria-label': `Execution history, ${d.history.length} events, oldest first` },
      d.history.map((r) => {
        const data = { eventId: r.id, type: r.type, state: r.state ?? '' };
        const cls = ['ev', FAILED_EVENT.test(r.type) ? 'ev-failed' : DONE_EVENT.test(r.type) ? 'ev-done' : r.type.endsWith('Entered') || r.type.endsWith('Started') ? 'ev-start' : ''];
        const cols = [
          h('span', { class: 'ev-id' }, String(r.id)),
          h('span', { class: 'ev-type' }, r.type),
          h('span', { class: 'ev-state' }, r.state ?? ''),
          h('span', { class: 'ev-stamp' }, stamp(r.timestamp)),
          h('span', { class: 'ev-time', title: 'Since the execution started' }, `+${duration(r.elapsedMs)}`),
        ];
        // The state's name is already in the row; "not truncated" says nothing.
        const details = r.details ? Object.entries(r.details).filter(([k, v]) => !(k === 'name' && r.type.includes('State')) && !(/Details$/.test(k) && v && v.truncated === false)) : [];
        if (!details.length) return h('li', { class: cls, dataset: data }, h('div', { class: 'ev-row' }, cols));
        details.sort(([a], [b]) => (DETAIL_ORDER.indexOf(a) + 1 || 99) - (DETAIL_ORDER.indexOf(b) + 1 || 99));
        return h(
          'li',
          { class: cls, dataset: data },
          h(
            'details',
            { dataset: { key: `ev-${r.id}` } },
            h('summary', { class: 'ev-row' }, cols),
            h(
              'div',
              { class: 'ev-body' },
              details.map(([k, v]) =>
                typeof v === 'string' && !/^(input|output|parameters|cause)$/.test(k)
                  ? h('p', {}, h('span', { class: 'k' }, `${k}: `), h('span', { class: 'mono wrap' }, v))
                  : h('div', {}, h('p', { class: 'k' }, k), codeBlock(v, `${k} of event ${r.id}`)),
              ),
            ),
          ),
        );
      }),
    ),
  ];
}

const EVENT_GROUPS = [
  { id: 'failures', label: 'Errors and failures', test: (type) => /Failed$|TimedOut$|Aborted$/.test(type) },
  { id: 'states', label: 'States entered and exited', test: (type) => /State(Entered|Exited)$/.test(type) },
  { id: 'tasks', label: 'Task and Lambda events', test: (type) => /^(Task|LambdaFunction)/.test(type) && !/State(Entered|Exited)$/.test(type) },
  { id: 'execution', label: 'Execution events', test: (type) => /^Execution/.test(type) },
];

/**
 * The history's filter: by event type (a group or one type), by state, by
 * text anywhere in the event (its input and output too). It lives outside the
 * list, so it survives the list being redrawn as the execution moves.
 */
function historyFilter(onChange) {
  const type = h('select', { id: 'hf-type', on: { change: onChange } });
  const state = h('select', { id: 'hf-state', on: { change: onChange } });
  const text = h('input', { id: 'hf-text', type: 'search', autocomplete: 'off', placeholder: 'error, state, input value…', on: { input: onChange } });
  const count = h('p', { class: 'muted small hf-count', id: 'hf-count', role: 'status', 'aria-live': 'polite' });
  const clear = h(
    'button',
    {
      type: 'button',
      class: 'btn btn-small',
      id: 'hf-clear',
      on: {
        click: () => {
          type.value = '';
          state.value = '';
          text.value = '';
          onChange();
        },
      },
    },
    'Clear',
  );
  const el = h(
    'div',
    { class: 'history-filter', role: 'search', 'aria-label': 'Filter the execution history' },
    h('div', {}, h('label', { for: 'hf-type' }, 'Event type'), type),
    h('div', {}, h('label', { for: 'hf-state' }, 'State'), state),
    h('div', { class: 'hf-text' }, h('label', { for: 'hf-text' }, 'Text'), text),
    clear,
    count,
  );
  const options = (select, groups) => {
    const sig = JSON.stringify(groups);
    if (select.dataset.sig === sig) return;
    select.dataset.sig = sig;
    const keep = select.value;
    select.replaceChildren(
      ...groups.map((g) =>
        g.options
          ? h(
              'optgroup',
              { label: g.label },
              g.options.map((o) => h('option', { value: o.value }, o.label)),
            )
          : h('option', { value: g.value }, g.label),
      ),
    );
    select.value = [...select.querySelectorAll('option')].some((o) => o.value === keep) ? keep : '';
  };
  return {
    el,
    /** New choices as the history grows (the selection stays). */
    update(d) {
      const types = [...new Set(d.history.map((r) => r.type))];
      const states = [...new Set(d.history.map((r) => r.state).filter(Boolean))];
      options(type, [
        { value: '', label: 'All events' },
        { label: 'Groups', options: EVENT_GROUPS.map((g) => ({ value: `group:${g.id}`, label: g.label })) },
        { label: 'Event type', options: types.map((t) => ({ value: t, label: t })) },
      ]);
      options(state, [{ value: '', label: 'All states' }, ...states.map((st) => ({ value: st, label: st }))]);
    },
    /** Hides the events that do not match; says how many are shown. */
    apply(list) {
      const items = list ? [...list.querySelectorAll(':scope > li')] : [];
      const group = type.value.startsWith('group:') ? EVENT_GROUPS.find((g) => `group:${g.id}` === type.value) : undefined;
      const words = text.value.trim().toLowerCase();
      let shown = 0;
      for (const li of items) {
        const t = li.dataset.type;
        const ok = (!type.value || (group ? group.test(t) : t === type.value)) && (!state.value || li.dataset.state === state.value) && (!words || li.textContent.toLowerCase().includes(words));
        li.hidden = !ok;
        if (ok) shown += 1;
      }
      const filtered = Boolean(type.value || state.value || words);
      count.textContent = filtered ? `${shown} of ${items.length} events match` : `${items.length} events`;
      clear.hidden = !filtered;
    },
  };
}

function certCard(v, d) {
  const snap = d.transfer.snapshot;
  return h(
    'section',
    { class: 'card', 'aria-label': `${v.role} account ${v.account}` },
    h('h3', {}, v.role === 'source' ? 'Source' : 'Target', ' account ', h('span', { class: 'mono' }, v.account)),
    v.visible
      ? h(
          'dl',
          { class: 'kv' },
          h('dt', {}, 'Status'),
          h('dd', {}, badge(v.status)),
          h('dt', {}, 'Owned by'),
          h('dd', { class: 'mono' }, v.ownedBy),
          v.previousOwnedBy ? [h('dt', {}, 'Previously'), h('dd', { class: 'mono' }, v.previousOwnedBy)] : null,
          h('dt', {}, 'Policies'),
          h(
            'dd',
            {},
            v.policies.length
              ? h(
                  'ul',
                  { class: 'plain' },
                  v.policies.map((p) => h('li', { class: 'mono' }, p)),
                )
              : h('span', { class: 'muted' }, 'none'),
          ),
          h('dt', {}, 'Things'),
          h(
            'dd',
            {},
            v.things.length
              ? h(
                  'ul',
                  { class: 'plain' },
                  v.things.map((t) => h('li', {}, h('span', { class: 'mono' }, t.thingName), h('span', { class: 'principal-type' }, t.thingPrincipalType))),
                )
              : h('span', { class: 'muted' }, 'none'),
          ),
          v.transferData && Object.keys(v.transferData).length
            ? [
                h('dt', {}, 'Transfer data'),
                h(
                  'dd',
                  {},
                  h(
                    'ul',
                    { class: 'plain' },
                    Object.entries(v.transferData).map(([k, val]) => h('li', {}, h('span', { class: 'k' }, `${k}: `), /Date$/.test(k) ? formatTime(val) : String(val))),
                  ),
                ),
              ]
            : null,
          h('dt', {}, 'Modified'),
          h('dd', {}, formatTime(v.lastModifiedDate)),
        )
      : h('p', { class: 'muted' }, 'Not visible to this account: ', h('code', {}, v.error ?? 'ResourceNotFoundException')),
    v.role === 'source' && snap
      ? h(
          'p',
          { class: 'muted small' },
          `Before the transfer (Preflight snapshot): ${snap.status}, ${snap.policies.length} ${snap.policies.length === 1 ? 'policy' : 'policies'}, ${snap.things.length} thing${snap.things.length === 1 ? '' : 's'}.`,
        )
      : null,
  );
}

function certificatePanel(d) {
  return h(
    'div',
    {},
    h('p', { class: 'muted' }, "What DescribeCertificate answers each account right now, with the owner's attachments."),
    h(
      'div',
      { class: 'cards' },
      d.certificate.views.map((v) => certCard(v, d)),
    ),
    d.certificate.overview?.lastTransfer
      ? h(
          'p',
          { class: 'small' },
          "IoT's last transfer of this certificate: ",
          h('strong', {}, d.certificate.overview.lastTransfer.state),
          ` (${d.certificate.overview.lastTransfer.source} → ${d.certificate.overview.lastTransfer.target})`,
        )
      : null,
  );
}

function eventsPanel(d) {
  if (!d.events.length) return h('p', { class: 'muted' }, 'No events about this transfer yet.');
  return h(
    'ol',
    { class: 'feed', 'aria-label': `${d.events.length} events, oldest first` },
    d.events.map((e) =>
      h(
        'li',
        { class: 'feed-item' },
        h(
          'details',
          { dataset: { key: `bus-${e.eventId}` } },
          h(
            'summary',
            {},
            h('strong', {}, e.detailType),
            h('span', { class: 'muted small' }, ` on ${e.busAccount}/${e.busName}, from ${e.sender} · `, h('time', { datetime: e.receivedAt }, formatTime(e.receivedAt))),
            e.status === 'dropped' ? h('span', { class: 'badge badge-failed' }, 'dropped') : null,
          ),
          h(
            'ul',
            { class: 'plain deliveries', 'aria-label': 'Deliveries' },
            e.deliveries.length
              ? e.deliveries.map((dl) =>
                  h(
                    'li',
                    {},
                    badge(dl.status.toUpperCase()),
                    ` rule ${dl.ruleName} → ${dl.targetArn.split(':').slice(-1)[0]}`,
                    dl.attempts > 1 ? ` (${dl.attempts} attempts)` : '',
                    dl.error ? h('span', { class: 'error' }, ` ${dl.error}`) : null,
                  ),
                )
              : h('li', { class: 'muted' }, 'No rule matched'),
          ),
          codeBlock(e.detail, `detail of ${e.detailType}`),
        ),
      ),
    ),
  );
}

function notificationsPanel(d) {
  if (!d.notifications.length) return h('p', { class: 'muted' }, 'No SNS notification about this transfer (only notify-only target kits send one).');
  return h(
    'ol',
    { class: 'feed' },
    d.notifications.map((m) =>
      h(
        'li',
        { class: 'feed-item' },
        h('p', {}, h('strong', {}, m.subject ?? '(no subject)'), h('span', { class: 'muted small' }, ` · ${m.topicArn} · `, h('time', { datetime: m.at }, formatTime(m.at)))),
        h('p', { class: 'wrap' }, m.message),
      ),
    ),
  );
}

function recordPanel(d) {
  const t = d.transfer;
  const row = (k, v) => (v === undefined || v === null || v === '' ? null : [h('dt', {}, k), h('dd', {}, v)]);
  return h(
    'div',
    {},
    h('h3', {}, 'History'),
    h(
      'ol',
      { class: 'timeline' },
      t.history.map((e) => h('li', {}, badge(e.status), ' ', h('time', { datetime: e.at }, formatTime(e.at)), h('p', {}, e.message))),
    ),
    h('h3', {}, 'Fields'),
    h(
      'dl',
      { class: 'kv' },
      row('Status', t.status),
      row('Timeout', `${t.timeoutSeconds} s`),
      row('Restore on failure', String(t.restoreOnFailure)),
      row('Offered', t.offeredAt && formatTime(t.offeredAt)),
      row('Expires', t.expiresAt && formatTime(t.expiresAt)),
      row('Transferred', t.transferredAt && formatTime(t.transferredAt)),
      row('Decision', t.decision && `${t.decision.decision} via ${t.decision.via} at ${formatTime(t.decision.decidedAt)}${t.decision.reason ? `: ${t.decision.reason}` : ''}`),
      row('Cancel requested', t.cancelRequestedAt && `${formatTime(t.cancelRequestedAt)}${t.cancelReason ? `: ${t.cancelReason}` : ''}`),
      row('Reason', t.reason),
      row('Restore', t.restore && codeBlock(t.restore, 'restore outcome')),
      row('Snapshot', t.snapshot && codeBlock(t.snapshot, 'snapshot')),
      row('Execution ARN', h('span', { class: 'mono wrap' }, t.executionArn)),
    ),
  );
}

// ───────────────────────── page ─────────────────────────

function tabs(selected, onSelect) {
  const list = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Transfer details' });
  for (const t of TABS) {
    list.append(
      h(
        'button',
        {
          type: 'button',
          role: 'tab',
          id: `tab-${t.id}`,
          'aria-controls': `panel-${t.id}`,
          'aria-selected': String(t.id === selected),
          tabindex: t.id === selected ? '0' : '-1',
          dataset: { tab: t.id },
          on: { click: () => onSelect(t.id) },
        },
        t.label,
        h('span', { class: 'tab-count', id: `count-${t.id}` }),
      ),
    );
  }
  list.addEventListener('keydown', (ev) => {
    const i = TABS.findIndex((t) => t.id === document.activeElement?.dataset.tab);
    if (i === -1) return;
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[ev.key];
    if (next === undefined) return;
    ev.preventDefault();
    const t = TABS[(next + TABS.length) % TABS.length];
    onSelect(t.id);
    document.getElementById(`tab-${t.id}`).focus();
  });
  return list;
}

/** Replaces a region only when what it shows changed (keeps typing, focus and open details elsewhere). */
function region(el, signature, build) {
  if (el.dataset.sig === signature) return;
  el.dataset.sig = signature;
  swap(el, h('div', {}, build()));
}

/**
 * Asks before acting, with the action's optional inputs; resolves with their
 * values, or null when the operator keeps things as they are (Escape too).
 */
function confirmDialog({ title, text, confirmLabel, danger, fields = [] }) {
  return new Promise((resolve) => {
    const inputs = fields.map((f) =>
      f.type === 'checkbox'
        ? h('input', { id: `dialog-${f.id}`, type: 'checkbox', checked: f.checked })
        : h('input', { id: `dialog-${f.id}`, type: 'text', maxlength: String(f.maxlength), autocomplete: 'off', placeholder: f.placeholder ?? '' }),
    );
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'confirm-title' }, title),
        h('p', { id: 'confirm-text' }, text),
        fields.map((f, i) =>
          f.type === 'checkbox' ? h('p', { class: 'check' }, inputs[i], h('label', { for: `dialog-${f.id}` }, f.label)) : h('p', {}, h('label', { for: `dialog-${f.id}` }, f.label), inputs[i]),
        ),
        h(
          'div',
          { class: 'row end' },
          h('button', { type: 'button', class: 'btn', dataset: { answer: 'no' } }, 'Keep it'),
          h('button', { type: 'submit', class: ['btn', danger ? 'btn-danger' : 'btn-primary'], dataset: { answer: 'yes' } }, confirmLabel),
        ),
      ),
    );
    document.body.append(dialog);
    const opener = document.activeElement;
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      opener?.focus?.();
      resolve(answer ? Object.fromEntries(fields.map((f, i) => [f.id, f.type === 'checkbox' ? inputs[i].checked : inputs[i].value.trim()])) : null);
    };
    dialog.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      done(false);
    });
    dialog.querySelector('form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      done(true);
    });
    dialog.querySelector('[data-answer="no"]').addEventListener('click', () => done(false));
    if (dialog instanceof HTMLDialogElement) dialog.showModal();
    (inputs.find((i) => i.type === 'text') ?? dialog.querySelector('[data-answer="yes"]')).focus();
  });
}

const ZOOM_STEP = 1.25;
const ZOOM_MAX = 2.5;

/** One transfer: its graph, history, states, certificate, events, notifications and record, live. */
export function showTransfer(main, transferId) {
  document.title = `Transfer ${short(transferId)} · local console`;
  let data;
  let selectedState;
  let selectedTab = TABS.some((t) => `#${t.id}` === window.location.hash) ? window.location.hash.slice(1) : 'history';
  // The graph opens fitted to its box and follows the box's size until the operator zooms.
  let fitting = true;
  let zoom = 1;
  let lastCurrent = '';

  const headEl = h('div', { id: 'head' });
  const result = h('p', { class: 'action-result', id: 'action-result', role: 'status', 'aria-live': 'polite' });
  const actionsEl = h('div', { id: 'actions' });
  const actionsPanel = h('section', { class: 'panel actions-panel', 'aria-labelledby': 'actions-h', hidden: true }, h('h2', { id: 'actions-h', class: 'sr-only' }, 'Actions'), actionsEl);
  const noActions = h('p', { class: 'muted no-actions', id: 'no-actions' });
  const graphEl = h('div', { class: 'graph-scroll', id: 'graph', 'data-scroll-key': 'graph', tabindex: '-1' });
  const zoomLevel = h('output', { class: 'zoom-level', id: 'zoom-level', 'aria-live': 'polite' });
  const zoomButton = (id, label, text, onClick) => h('button', { type: 'button', class: 'btn btn-small', id, 'aria-label': label, title: label, on: { click: onClick } }, text);
  const fitButton = zoomButton('zoom-fit', 'Fit the whole graph', 'Fit', () => {
    fitting = true;
    applyZoom();
  });
  const zoomBar = h(
    'div',
    { class: 'zoom', role: 'group', 'aria-label': 'Zoom the graph' },
    zoomButton('zoom-out', 'Zoom out', '−', () => zoomBy(1 / ZOOM_STEP)),
    zoomLevel,
    zoomButton('zoom-in', 'Zoom in', '+', () => zoomBy(ZOOM_STEP)),
    fitButton,
    zoomButton('zoom-actual', 'Actual size (100%)', '1:1', () => zoomTo(1)),
  );
  const stateEl = h('div', { id: 'state-detail', 'aria-live': 'polite' });
  const panels = Object.fromEntries(
    TABS.map((t) => [t.id, h('div', { role: 'tabpanel', id: `panel-${t.id}`, 'aria-labelledby': `tab-${t.id}`, tabindex: '0', class: 'tabpanel', hidden: t.id !== selectedTab })]),
  );
  const historyList = h('div', { id: 'history-region' });
  const filter = historyFilter(() => filter.apply(historyList.querySelector('#history-list')));
  panels.history.append(filter.el, historyList);
  // A state's name in the table selects it in the graph.
  panels.states.addEventListener('click', (ev) => {
    const name = ev.target.closest?.('[data-select]')?.dataset.select;
    if (name) selectState(name);
  });

  const fitScale = () => {
    const g = data.graph;
    // The box's inner size, less a little so no scrollbar appears at the fitted size.
    return Math.min((graphEl.clientWidth - 4) / g.width, (graphEl.clientHeight - 4) / g.height, ZOOM_MAX);
  };
  function applyZoom() {
    const svg = graphEl.querySelector('svg');
    if (!svg || !data?.graph) return;
    if (fitting) zoom = fitScale();
    svg.setAttribute('width', String(Math.round(data.graph.width * zoom)));
    svg.setAttribute('height', String(Math.round(data.graph.height * zoom)));
    graphEl.dataset.zoom = zoom.toFixed(3);
    graphEl.dataset.fitted = String(fitting);
    zoomLevel.textContent = `${Math.round(zoom * 100)}%`;
    fitButton.setAttribute('aria-pressed', String(fitting));
  }
  /** Zooms about the centre of what is in view. */
  function zoomTo(next) {
    const before = zoom;
    const cx = (graphEl.scrollLeft + graphEl.clientWidth / 2) / before;
    const cy = (graphEl.scrollTop + graphEl.clientHeight / 2) / before;
    fitting = false;
    zoom = Math.min(ZOOM_MAX, Math.max(Math.min(0.2, fitScale()), next));
    applyZoom();
    graphEl.scrollLeft = Math.max(0, cx * zoom - graphEl.clientWidth / 2);
    graphEl.scrollTop = Math.max(0, cy * zoom - graphEl.clientHeight / 2);
  }
  const zoomBy = (factor) => zoomTo(zoom * factor);
  window.addEventListener('resize', () => {
    if (fitting) applyZoom();
  });

  const selectTab = (id) => {
    selectedTab = id;
    for (const t of TABS) {
      const tab = document.getElementById(`tab-${t.id}`);
      tab.setAttribute('aria-selected', String(t.id === id));
      tab.tabIndex = t.id === id ? 0 : -1;
      panels[t.id].hidden = t.id !== id;
    }
    window.history.replaceState({}, '', `#${id}`);
  };
  let stateChosen = false;
  const selectState = (name) => {
    selectedState = name;
    stateChosen = true;
    renderGraph(true);
    region(stateEl, `${name}|${JSON.stringify(data.states[name] ?? null)}`, () => stateDetail(data, name));
  };

  function renderGraph(force) {
    if (!data.graph) {
      region(graphEl, 'none', () => h('p', { class: 'muted' }, 'The state machine definition is not available.'));
      return;
    }
    const sig = JSON.stringify([data.states, data.current, data.transitions.length, selectedState]);
    if (!force && graphEl.dataset.sig === sig) return;
    graphEl.dataset.sig = sig;
    const focused = document.activeElement?.closest?.('[data-state]')?.dataset.state;
    const scroll = [graphEl.scrollLeft, graphEl.scrollTop];
    const svg = drawGraph(data.graph, data, { selected: selectedState, onSelect: selectState });
    graphEl.replaceChildren(svg);
    fitLabels(svg);
    applyZoom();
    [graphEl.scrollLeft, graphEl.scrollTop] = scroll;
    if (focused) graphEl.querySelector(`[data-key="${CSS.escape(`node-${focused}`)}"]`)?.focus({ preventScroll: true });
    // Zoomed in, bring the current state into view when it moves.
    const cur = data.current.join('|');
    if (cur && cur !== lastCurrent) {
      lastCurrent = cur;
      if (!fitting) scrollToCurrent();
    }
  }

  function scrollToCurrent() {
    const node = data?.graph?.nodes.find((n) => n.id === data.current[0]);
    if (!node) return;
    graphEl.scrollTop = Math.max(0, node.y * zoom - graphEl.clientHeight / 2);
    graphEl.scrollLeft = Math.max(0, node.x * zoom - graphEl.clientWidth / 2);
  }

  async function act(kind) {
    const t = data.transfer;
    const cert = short(t.certificateId, 12);
    const question = {
      cancel: {
        title: 'Cancel this transfer?',
        text: `The offer to ${t.targetAccount} is withdrawn and certificate ${cert} restored in ${t.sourceAccount} (its policies, things and status).`,
        confirmLabel: 'Cancel transfer',
        danger: true,
        fields: [{ id: 'reason', label: 'Reason (optional)', maxlength: 256, placeholder: 'Cancelled from the local console' }],
      },
      accept: {
        title: `Accept as ${t.targetAccount}?`,
        text: `Account ${t.targetAccount} takes certificate ${cert}.`,
        confirmLabel: 'Accept',
        fields: [{ id: 'setAsActive', type: 'checkbox', checked: true, label: 'Activate it in the target (--set-as-active)' }],
      },
      reject: {
        title: `Reject as ${t.targetAccount}?`,
        text: `Certificate ${cert} goes back to ${t.sourceAccount}, where the workflow restores it.`,
        confirmLabel: 'Reject',
        danger: true,
        fields: [{ id: 'reason', label: 'Reject reason (optional)', maxlength: 128, placeholder: 'not our devices' }],
      },
    }[kind];
    const values = await confirmDialog(question);
    if (!values) return;
    result.className = 'action-result';
    result.textContent = 'Working…';
    delete result.dataset.untilFinal;
    const out =
      kind === 'cancel'
        ? await postJson(`/console/api/transfers/${encodeURIComponent(transferId)}/cancel`, values)
        : await postJson(`/console/api/transfers/${encodeURIComponent(transferId)}/decision`, { decision: kind, ...values });
    result.className = `action-result ${out.ok ? 'ok' : 'bad'}`;
    result.textContent = out.ok
      ? `${kind === 'cancel' ? `Cancel requested (${out.body.status})` : `${out.body.decision} as ${out.body.account}`}: ${out.body.message ?? ''}`
      : `${out.status} ${out.body.error ?? ''}: ${out.body.message ?? 'failed'}`;
    // What was asked for is under way; once the transfer has ended, the header says how, and this line goes.
    if (out.ok) result.dataset.untilFinal = 'true';
    feed.refresh();
  }

  function render() {
    region(headEl, JSON.stringify([data.transfer, data.execution?.status, data.execution?.error, data.execution?.stopDate, data.current, data.transitionCount]), () => head(data));
    if (result.dataset.untilFinal && FINAL.has(data.transfer.displayStatus)) {
      result.textContent = '';
      delete result.dataset.untilFinal;
    }
    region(actionsEl, JSON.stringify(data.actions), () => actions(data, act));
    // Nothing to do (a finished transfer, say): no panel, one line in the header says why.
    actionsPanel.hidden = !data.actions.cancel.allowed && !data.actions.decide.allowed;
    noActions.textContent = actionsPanel.hidden && !FINAL.has(data.transfer.displayStatus) ? `No operator action: ${data.actions.cancel.why ?? 'nothing to do'}.` : '';
    // Until the operator picks a state, the panel follows the execution.
    if (!stateChosen) selectedState = data.current[0] ?? data.graph?.startAt;
    renderGraph(false);
    region(stateEl, `${selectedState}|${JSON.stringify(data.states[selectedState] ?? null)}|${data.history.length}`, () => stateDetail(data, selectedState));
    const counts = { history: data.history.length, states: data.visits.length, events: data.events.length, notifications: data.notifications.length, record: data.transfer.history.length };
    for (const [id, n] of Object.entries(counts)) document.getElementById(`count-${id}`).textContent = String(n);
    filter.update(data);
    region(historyList, String(data.history.length), () => historyPanel(data));
    filter.apply(historyList.querySelector('#history-list'));
    region(panels.states, JSON.stringify([data.visits, data.execution?.stopDate]), () => statesPanel(data));
    region(panels.certificate, JSON.stringify([data.certificate, data.transfer.snapshot]), () => certificatePanel(data));
    region(panels.events, JSON.stringify(data.events), () => eventsPanel(data));
    region(panels.notifications, String(data.notifications.length), () => notificationsPanel(data));
    region(panels.record, JSON.stringify(data.transfer), () => recordPanel(data));
    main.dataset.ready = 'true';
    main.dataset.status = data.transfer.displayStatus;
  }

  // Durations of what is still running count up.
  setInterval(() => {
    const now = Date.now();
    for (const el of main.querySelectorAll('[data-since]')) el.textContent = duration(Number(el.dataset.plus ?? 0) + now - Date.parse(el.dataset.since));
  }, 1000);

  let inFlight = false;
  let again = false;
  let built = false;
  async function load() {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    try {
      data = expectedEnd(await getJson(`/console/api/transfers/${encodeURIComponent(transferId)}`));
      if (!built) {
        built = true;
        main.replaceChildren(
          headEl,
          h('div', { class: 'status-lines' }, noActions, result),
          actionsPanel,
          h(
            'div',
            { class: 'layout' },
            h('section', { class: 'panel graph-panel', 'aria-labelledby': 'graph-h' }, h('div', { class: 'panel-head' }, h('h2', { id: 'graph-h' }, 'Workflow'), zoomBar), graphEl, legend()),
            h('section', { class: 'panel state-panel', 'aria-labelledby': 'state-h' }, h('h2', { id: 'state-h' }, 'Selected state'), stateEl),
            h('section', { class: 'panel details-panel', 'aria-label': 'Details' }, tabs(selectedTab, selectTab), Object.values(panels)),
          ),
        );
      }
      render();
    } catch (err) {
      if (err.status === 404) {
        main.replaceChildren(
          h('nav', { 'aria-label': 'Breadcrumb', class: 'crumbs' }, h('a', { href: '/console' }, 'Transfers')),
          h('h1', {}, 'Transfer not found'),
          h('p', {}, 'No transfer ', h('code', {}, transferId), ' in the local transfer table.'),
        );
      } else if (!built) {
        main.replaceChildren(h('h1', {}, 'Transfer'), h('p', { class: 'error', role: 'alert' }, `The console could not load this transfer: ${err.message}`));
      } else {
        result.className = 'action-result bad';
        result.textContent = `Refresh failed: ${err.message}`;
      }
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        void load();
      }
    }
  }

  const feed = liveFeed(() => void load(), { everyMs: 10_000 });
  void load();
  return { statusLabel: () => STATUS_LABELS[data?.transfer.displayStatus] };
}
