/* global HTMLDialogElement, CSS */
import { STATUS_LABELS, ageTime, badge, codeBlock, duration, formatTime, getJson, h, liveFeed, postJson, short, swap } from './dom.js';
import { OUTCOME_LABELS, drawGraph, legend } from './graph.js';

const TABS = [
  { id: 'history', label: 'History' },
  { id: 'certificate', label: 'Certificate' },
  { id: 'events', label: 'Events' },
  { id: 'notifications', label: 'Notifications' },
  { id: 'record', label: 'Record' },
];

const FAILED_EVENT = /Failed$|TimedOut$|Aborted$/;
const DONE_EVENT = /Succeeded$|Exited$/;

// ───────────────────────── sections ─────────────────────────

function head(d) {
  const t = d.transfer;
  const ex = d.execution;
  return h('div', { class: 'page-head' },
    h('nav', { 'aria-label': 'Breadcrumb', class: 'crumbs' }, h('ol', {}, h('li', {}, h('a', { href: '/console' }, 'Transfers')), h('li', { 'aria-current': 'page' }, h('span', { class: 'mono' }, t.transferId)))),
    h('h1', {}, 'Transfer ', h('span', { class: 'mono', title: t.transferId }, short(t.transferId, 13)), ' ', badge(t.displayStatus, 'badge-lg')),
    h('dl', { class: 'facts' },
      h('div', {}, h('dt', {}, 'Certificate'), h('dd', { class: 'mono', title: t.certificateId }, short(t.certificateId, 16))),
      h('div', {}, h('dt', {}, 'Source → target'), h('dd', {}, h('span', { class: 'mono' }, t.sourceAccount), ' → ', h('span', { class: 'mono' }, t.targetAccount))),
      h('div', {}, h('dt', {}, 'Created'), h('dd', {}, h('time', { datetime: t.createdAt, title: t.createdAt }, formatTime(t.createdAt)), ' · ', ageTime(t.createdAt), ' ago')),
      h('div', {}, h('dt', {}, 'Execution'), h('dd', {}, ex ? badge(ex.status) : h('span', { class: 'muted' }, 'not in the local Step Functions'))),
      ex?.error ? h('div', { class: 'fact-wide' }, h('dt', {}, 'Error'), h('dd', {}, h('strong', {}, ex.error), ex.cause ? h('span', { class: 'muted' }, ` ${ex.cause}`) : '')) : null,
      t.batchId ? h('div', {}, h('dt', {}, 'Batch'), h('dd', {}, h('a', { href: `/console?batch=${encodeURIComponent(t.batchId)}`, class: 'mono', title: t.batchId }, short(t.batchId, 12)))) : null,
      t.transferMessage ? h('div', { class: 'fact-wide' }, h('dt', {}, 'Message'), h('dd', {}, t.transferMessage)) : null));
}

function actions(d, act) {
  const a = d.actions;
  if (!a.cancel.allowed && !a.decide.allowed) return null;
  return h('div', { class: 'actions-bar' },
    a.cancel.allowed ? h('div', { class: 'action-group' },
      h('button', { type: 'button', class: 'btn btn-danger', dataset: { key: 'btn-cancel' }, 'aria-describedby': 'cancel-help', on: { click: () => act('cancel') } }, 'Cancel transfer…'),
      h('p', { class: 'muted small', id: 'cancel-help' }, 'Withdraws the offer and restores the certificate: a signed ', h('code', {}, 'DELETE /transfers/{id}'), ' as the source account.')) : null,
    a.decide.allowed ? h('div', { class: 'action-group' },
      h('div', { class: 'row' },
        h('span', { class: 'as' }, 'As the target ', h('span', { class: 'mono' }, a.decide.account), h('span', { class: 'tag' }, 'local demo')),
        h('button', { type: 'button', class: 'btn btn-primary', dataset: { key: 'btn-accept' }, 'aria-describedby': 'decide-help', on: { click: () => act('accept') } }, 'Accept…'),
        h('button', { type: 'button', class: 'btn', dataset: { key: 'btn-reject' }, 'aria-describedby': 'decide-help', on: { click: () => act('reject') } }, 'Reject…')),
      h('p', { class: 'muted small', id: 'decide-help' }, 'The target account\'s own IoT call, as ', h('code', {}, 'aws iot accept-certificate-transfer'), ' makes it; it sends no event, so the reconciler settles the transfer.')) : null);
}

function stateDetail(d, name) {
  if (!name) return h('p', { class: 'muted' }, 'Select a state in the graph to see its input and output.');
  const run = d.states[name];
  const node = d.graph?.nodes.find((n) => n.id === name);
  const entered = [...d.history].reverse().find((r) => r.type.endsWith('StateEntered') && r.state === name);
  const exited = [...d.history].reverse().find((r) => r.type.endsWith('StateExited') && r.state === name);
  return h('div', { class: 'state-detail' },
    h('h3', {}, name, ' ', h('span', { class: ['outcome-tag', `outcome-${run?.outcome ?? 'none'}`] }, OUTCOME_LABELS[run?.outcome ?? 'none'])),
    h('p', { class: 'muted' }, [node?.type, node?.comment].filter(Boolean).join(' · ')),
    run ? h('p', {}, `Entered ${run.entered}×`, run.retries ? `, ${run.retries} ${run.retries === 1 ? 'retry' : 'retries'}` : '', run.enteredAt ? ` · last at ${formatTime(run.enteredAt)}` : '') : h('p', { class: 'muted' }, 'Not run in this execution.'),
    run?.error ? h('p', { class: 'error' }, h('strong', {}, run.error.error ?? 'Error'), run.error.cause ? `: ${run.error.cause}` : '') : null,
    entered?.details?.input !== undefined ? h('details', { dataset: { key: `sd-in-${name}` } }, h('summary', {}, 'Input'), codeBlock(entered.details.input, `${name} input`)) : null,
    exited?.details?.output !== undefined ? h('details', { dataset: { key: `sd-out-${name}` } }, h('summary', {}, 'Output'), codeBlock(exited.details.output, `${name} output`)) : null);
}

const DETAIL_ORDER = ['name', 'resource', 'resourceType', 'error', 'cause', 'input', 'parameters', 'output'];

function historyPanel(d) {
  if (!d.history.length) return h('p', { class: 'muted' }, 'No execution history.');
  return h('ol', { class: 'history', 'aria-label': `Execution history, ${d.history.length} events, oldest first` }, d.history.map((r) => {
    const cls = ['ev', FAILED_EVENT.test(r.type) ? 'ev-failed' : DONE_EVENT.test(r.type) ? 'ev-done' : r.type.endsWith('Entered') || r.type.endsWith('Started') ? 'ev-start' : ''];
    const cols = [
      h('span', { class: 'ev-id' }, String(r.id)),
      h('span', { class: 'ev-type' }, r.type),
      h('span', { class: 'ev-state' }, r.state ?? ''),
      h('span', { class: 'ev-time', title: formatTime(r.timestamp) }, `+${duration(r.elapsedMs)}`),
    ];
    // The state's name is already in the row; "not truncated" says nothing.
    const details = r.details ? Object.entries(r.details).filter(([k, v]) => !(k === 'name' && r.type.includes('State')) && !(/Details$/.test(k) && v && v.truncated === false)) : [];
    if (!details.length) return h('li', { class: cls, dataset: { eventId: r.id } }, h('div', { class: 'ev-row' }, cols));
    details.sort(([a], [b]) => (DETAIL_ORDER.indexOf(a) + 1 || 99) - (DETAIL_ORDER.indexOf(b) + 1 || 99));
    return h('li', { class: cls, dataset: { eventId: r.id } },
      h('details', { dataset: { key: `ev-${r.id}` } },
        h('summary', { class: 'ev-row' }, cols),
        h('div', { class: 'ev-body' }, details.map(([k, v]) => (typeof v === 'string' && !/^(input|output|parameters|cause)$/.test(k)
          ? h('p', {}, h('span', { class: 'k' }, `${k}: `), h('span', { class: 'mono wrap' }, v))
          : h('div', {}, h('p', { class: 'k' }, k), codeBlock(v, `${k} of event ${r.id}`)))))));
  }));
}

function certCard(v, d) {
  const snap = d.transfer.snapshot;
  return h('section', { class: 'card', 'aria-label': `${v.role} account ${v.account}` },
    h('h3', {}, v.role === 'source' ? 'Source' : 'Target', ' account ', h('span', { class: 'mono' }, v.account)),
    v.visible
      ? h('dl', { class: 'kv' },
        h('dt', {}, 'Status'), h('dd', {}, badge(v.status)),
        h('dt', {}, 'Owned by'), h('dd', { class: 'mono' }, v.ownedBy),
        v.previousOwnedBy ? [h('dt', {}, 'Previously'), h('dd', { class: 'mono' }, v.previousOwnedBy)] : null,
        h('dt', {}, 'Policies'), h('dd', {}, v.policies.length ? h('ul', { class: 'plain' }, v.policies.map((p) => h('li', { class: 'mono' }, p))) : h('span', { class: 'muted' }, 'none')),
        h('dt', {}, 'Things'), h('dd', {}, v.things.length ? h('ul', { class: 'plain' }, v.things.map((t) => h('li', {}, h('span', { class: 'mono' }, t.thingName), h('span', { class: 'principal-type' }, t.thingPrincipalType)))) : h('span', { class: 'muted' }, 'none')),
        v.transferData && Object.keys(v.transferData).length ? [h('dt', {}, 'Transfer data'), h('dd', {}, h('ul', { class: 'plain' }, Object.entries(v.transferData).map(([k, val]) => h('li', {}, h('span', { class: 'k' }, `${k}: `), /Date$/.test(k) ? formatTime(val) : String(val)))))] : null,
        h('dt', {}, 'Modified'), h('dd', {}, formatTime(v.lastModifiedDate)))
      : h('p', { class: 'muted' }, 'Not visible to this account: ', h('code', {}, v.error ?? 'ResourceNotFoundException')),
    v.role === 'source' && snap ? h('p', { class: 'muted small' }, `Before the transfer (Preflight snapshot): ${snap.status}, ${snap.policies.length} ${snap.policies.length === 1 ? 'policy' : 'policies'}, ${snap.things.length} thing${snap.things.length === 1 ? '' : 's'}.`) : null);
}

function certificatePanel(d) {
  return h('div', {},
    h('p', { class: 'muted' }, 'What DescribeCertificate answers each account right now, with the owner\'s attachments.'),
    h('div', { class: 'cards' }, d.certificate.views.map((v) => certCard(v, d))),
    d.certificate.overview?.lastTransfer ? h('p', { class: 'small' }, 'IoT\'s last transfer of this certificate: ', h('strong', {}, d.certificate.overview.lastTransfer.state), ` (${d.certificate.overview.lastTransfer.source} → ${d.certificate.overview.lastTransfer.target})`) : null);
}

function eventsPanel(d) {
  if (!d.events.length) return h('p', { class: 'muted' }, 'No events about this transfer yet.');
  return h('ol', { class: 'feed', 'aria-label': `${d.events.length} events, oldest first` }, d.events.map((e) => h('li', { class: 'feed-item' },
    h('details', { dataset: { key: `bus-${e.eventId}` } },
      h('summary', {},
        h('strong', {}, e.detailType),
        h('span', { class: 'muted small' }, ` on ${e.busAccount}/${e.busName}, from ${e.sender} · `, h('time', { datetime: e.receivedAt }, formatTime(e.receivedAt))),
        e.status === 'dropped' ? h('span', { class: 'badge badge-failed' }, 'dropped') : null),
      h('ul', { class: 'plain deliveries', 'aria-label': 'Deliveries' }, e.deliveries.length
        ? e.deliveries.map((dl) => h('li', {}, badge(dl.status.toUpperCase()), ` rule ${dl.ruleName} → ${dl.targetArn.split(':').slice(-1)[0]}`, dl.attempts > 1 ? ` (${dl.attempts} attempts)` : '', dl.error ? h('span', { class: 'error' }, ` ${dl.error}`) : null))
        : h('li', { class: 'muted' }, 'No rule matched')),
      codeBlock(e.detail, `detail of ${e.detailType}`)))));
}

function notificationsPanel(d) {
  if (!d.notifications.length) return h('p', { class: 'muted' }, 'No SNS notification about this transfer (only notify-only target kits send one).');
  return h('ol', { class: 'feed' }, d.notifications.map((m) => h('li', { class: 'feed-item' },
    h('p', {}, h('strong', {}, m.subject ?? '(no subject)'), h('span', { class: 'muted small' }, ` · ${m.topicArn} · `, h('time', { datetime: m.at }, formatTime(m.at)))),
    h('p', { class: 'wrap' }, m.message))));
}

function recordPanel(d) {
  const t = d.transfer;
  const row = (k, v) => (v === undefined || v === null || v === '' ? null : [h('dt', {}, k), h('dd', {}, v)]);
  return h('div', {},
    h('h3', {}, 'History'),
    h('ol', { class: 'timeline' }, t.history.map((e) => h('li', {}, badge(e.status), ' ', h('time', { datetime: e.at }, formatTime(e.at)), h('p', {}, e.message)))),
    h('h3', {}, 'Fields'),
    h('dl', { class: 'kv' },
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
      row('Execution ARN', h('span', { class: 'mono wrap' }, t.executionArn))));
}

// ───────────────────────── page ─────────────────────────

function tabs(selected, onSelect) {
  const list = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Transfer details' });
  for (const t of TABS) {
    list.append(h('button', {
      type: 'button', role: 'tab', id: `tab-${t.id}`, 'aria-controls': `panel-${t.id}`, 'aria-selected': String(t.id === selected), tabindex: t.id === selected ? '0' : '-1',
      dataset: { tab: t.id },
      on: { click: () => onSelect(t.id) },
    }, t.label, h('span', { class: 'tab-count', id: `count-${t.id}` })));
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
    const inputs = fields.map((f) => (f.type === 'checkbox'
      ? h('input', { id: `dialog-${f.id}`, type: 'checkbox', checked: f.checked })
      : h('input', { id: `dialog-${f.id}`, type: 'text', maxlength: String(f.maxlength), autocomplete: 'off', placeholder: f.placeholder ?? '' })));
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'confirm-title' }, title),
        h('p', { id: 'confirm-text' }, text),
        fields.map((f, i) => (f.type === 'checkbox'
          ? h('p', { class: 'check' }, inputs[i], h('label', { for: `dialog-${f.id}` }, f.label))
          : h('p', {}, h('label', { for: `dialog-${f.id}` }, f.label), inputs[i]))),
        h('div', { class: 'row end' },
          h('button', { type: 'button', class: 'btn', dataset: { answer: 'no' } }, 'Keep it'),
          h('button', { type: 'submit', class: ['btn', danger ? 'btn-danger' : 'btn-primary'], dataset: { answer: 'yes' } }, confirmLabel))));
    document.body.append(dialog);
    const opener = document.activeElement;
    const done = (answer) => {
      dialog.close();
      dialog.remove();
      opener?.focus?.();
      resolve(answer ? Object.fromEntries(fields.map((f, i) => [f.id, f.type === 'checkbox' ? inputs[i].checked : inputs[i].value.trim()])) : null);
    };
    dialog.addEventListener('cancel', (ev) => { ev.preventDefault(); done(false); });
    dialog.querySelector('form').addEventListener('submit', (ev) => { ev.preventDefault(); done(true); });
    dialog.querySelector('[data-answer="no"]').addEventListener('click', () => done(false));
    if (dialog instanceof HTMLDialogElement) dialog.showModal();
    (inputs.find((i) => i.type === 'text') ?? dialog.querySelector('[data-answer="yes"]')).focus();
  });
}

/** One transfer: its graph, history, certificate, events, notifications and record, live. */
export function showTransfer(main, transferId) {
  document.title = `Transfer ${short(transferId)} · local console`;
  let data;
  let selectedState;
  let selectedTab = TABS.some((t) => `#${t.id}` === window.location.hash) ? window.location.hash.slice(1) : 'history';
  let fit;
  let fitChosen = false;
  let lastCurrent = '';

  const headEl = h('div', { id: 'head' });
  const result = h('p', { class: 'action-result', id: 'action-result', role: 'status', 'aria-live': 'polite' });
  const actionsEl = h('div', { id: 'actions' });
  const actionsPanel = h('section', { class: 'panel actions-panel', 'aria-labelledby': 'actions-h', hidden: true }, h('h2', { id: 'actions-h', class: 'sr-only' }, 'Actions'), actionsEl);
  const noActions = h('p', { class: 'muted no-actions', id: 'no-actions' });
  const graphEl = h('div', { class: 'graph-scroll', 'data-scroll-key': 'graph', tabindex: '-1' });
  const fitButton = h('button', { type: 'button', class: 'btn btn-small', 'aria-pressed': 'true', on: { click: () => { fit = !fit; fitChosen = true; applyFit(); } } }, 'Fit to width');
  const stateEl = h('div', { id: 'state-detail', 'aria-live': 'polite' });
  const panels = Object.fromEntries(TABS.map((t) => [t.id, h('div', { role: 'tabpanel', id: `panel-${t.id}`, 'aria-labelledby': `tab-${t.id}`, tabindex: '0', class: 'tabpanel', hidden: t.id !== selectedTab })]));

  // Fit the graph to the panel when it stays readable; otherwise full size, scrolled to the current state.
  const autoFit = () => {
    if (fitChosen || !data?.graph) return;
    fit = graphEl.clientWidth >= data.graph.width * 0.6;
    applyFit();
  };
  // The graph's box ends at the bottom of the window, so the current state it scrolls to is on screen.
  const sizeGraph = () => {
    if (window.innerWidth < 1100) {
      graphEl.style.maxHeight = '';
      return;
    }
    const top = graphEl.getBoundingClientRect().top + window.scrollY;
    graphEl.style.maxHeight = `${Math.max(360, window.innerHeight - top - 70)}px`;
  };
  window.addEventListener('resize', () => {
    autoFit();
    sizeGraph();
  });
  const applyFit = () => {
    const changed = graphEl.classList.contains('fit') !== fit;
    graphEl.classList.toggle('fit', fit);
    fitButton.setAttribute('aria-pressed', String(fit));
    if (changed) scrollToCurrent();
  };
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
    graphEl.replaceChildren(drawGraph(data.graph, data, { selected: selectedState, onSelect: selectState }));
    if (focused) graphEl.querySelector(`[data-key="${CSS.escape(`node-${focused}`)}"]`)?.focus({ preventScroll: true });
    // Bring the current state into view when it moves (the graph is taller than the screen).
    const cur = data.current.join('|');
    if (cur && cur !== lastCurrent) {
      lastCurrent = cur;
      scrollToCurrent();
    }
  }

  function scrollToCurrent() {
    const node = data?.graph?.nodes.find((n) => n.id === data.current[0]);
    if (!node) return;
    const scale = fit ? graphEl.clientWidth / data.graph.width : 1;
    graphEl.scrollTop = Math.max(0, node.y * scale - graphEl.clientHeight / 2);
    graphEl.scrollLeft = Math.max(0, node.x * scale - graphEl.clientWidth / 2);
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
    const out = kind === 'cancel'
      ? await postJson(`/console/api/transfers/${encodeURIComponent(transferId)}/cancel`, values)
      : await postJson(`/console/api/transfers/${encodeURIComponent(transferId)}/decision`, { decision: kind, ...values });
    result.className = `action-result ${out.ok ? 'ok' : 'bad'}`;
    result.textContent = out.ok
      ? `${kind === 'cancel' ? `Cancel requested (${out.body.status})` : `${out.body.decision} as ${out.body.account}`}: ${out.body.message ?? ''}`
      : `${out.status} ${out.body.error ?? ''}: ${out.body.message ?? 'failed'}`;
    feed.refresh();
  }

  function render() {
    region(headEl, JSON.stringify([data.transfer, data.execution?.status, data.execution?.error]), () => head(data));
    region(actionsEl, JSON.stringify(data.actions), () => actions(data, act));
    // Nothing to do (a finished transfer, say): no panel, one line in the header says why.
    actionsPanel.hidden = !data.actions.cancel.allowed && !data.actions.decide.allowed;
    noActions.textContent = actionsPanel.hidden ? `No operator action: ${data.actions.cancel.why ?? 'nothing to do'}.` : '';
    if (fit === undefined) {
      autoFit();
      sizeGraph();
    }
    // Until the operator picks a state, the panel follows the execution.
    if (!stateChosen) selectedState = data.current[0] ?? data.graph?.startAt;
    renderGraph(false);
    region(stateEl, `${selectedState}|${JSON.stringify(data.states[selectedState] ?? null)}|${data.history.length}`, () => stateDetail(data, selectedState));
    const counts = { history: data.history.length, events: data.events.length, notifications: data.notifications.length, record: data.transfer.history.length };
    for (const [id, n] of Object.entries(counts)) document.getElementById(`count-${id}`).textContent = String(n);
    region(panels.history, String(data.history.length), () => historyPanel(data));
    region(panels.certificate, JSON.stringify([data.certificate, data.transfer.snapshot]), () => certificatePanel(data));
    region(panels.events, JSON.stringify(data.events), () => eventsPanel(data));
    region(panels.notifications, String(data.notifications.length), () => notificationsPanel(data));
    region(panels.record, JSON.stringify(data.transfer), () => recordPanel(data));
    main.dataset.ready = 'true';
    main.dataset.status = data.transfer.displayStatus;
  }

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
      data = await getJson(`/console/api/transfers/${encodeURIComponent(transferId)}`);
      if (!built) {
        built = true;
        main.replaceChildren(
          headEl,
          h('div', { class: 'status-lines' }, noActions, result),
          actionsPanel,
          h('div', { class: 'layout' },
            h('section', { class: 'panel graph-panel', 'aria-labelledby': 'graph-h' },
              h('div', { class: 'panel-head' }, h('h2', { id: 'graph-h' }, 'Workflow'), fitButton),
              graphEl, legend(), stateEl),
            h('section', { class: 'panel details-panel', 'aria-label': 'Details' }, tabs(selectedTab, selectTab), Object.values(panels))));
      }
      render();
    } catch (err) {
      if (err.status === 404) {
        main.replaceChildren(h('nav', { 'aria-label': 'Breadcrumb', class: 'crumbs' }, h('a', { href: '/console' }, 'Transfers')), h('h1', {}, 'Transfer not found'), h('p', {}, 'No transfer ', h('code', {}, transferId), ' in the local transfer table.'));
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
