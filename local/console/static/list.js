/* global URLSearchParams */
import { RESTORE_LABELS, STATUS_LABELS, ageTime, badge, getJson, h, liveFeed, query, short, swap } from './dom.js';

const STATUSES = ['REQUESTED', 'PREPARING', 'AWAITING_DECISION', 'ACCEPTED', 'REJECTED', 'CANCELLED', 'EXPIRED', 'FAILED'];
const OPEN = new Set(['REQUESTED', 'PREPARING', 'AWAITING_DECISION', 'CANCELLING']);

function filterHref(status, batch) {
  const q = new URLSearchParams();
  if (status) q.set('status', status);
  if (batch) q.set('batch', batch);
  const s = q.toString();
  return `/console${s ? `?${s}` : ''}`;
}

function outcomeCell(t) {
  if (!t.outcome) {
    if (t.currentStates.length) return h('span', { class: 'muted' }, 'at ', h('span', { class: 'state-name' }, t.currentStates.join(', ')));
    return h('span', { class: 'muted' }, t.status === 'CANCELLING' ? 'withdrawing the offer' : 'in progress');
  }
  const o = t.outcome;
  const parts = [];
  if (o.status === 'ACCEPTED') parts.push(`moved to ${t.targetAccount}${o.decidedVia ? ` (${o.decidedVia === 'reconciler' ? 'decided by hand' : 'by the target kit'})` : ''}`);
  if (o.restore) parts.push(RESTORE_LABELS[o.restore] ?? o.restore);
  const reason = o.reason ? h('span', { class: 'reason', title: o.reason }, o.reason) : null;
  return h('span', { class: ['outcome', o.restore === 'FAILED' && 'outcome-bad'] }, parts.join(' · '), reason ? h('br') : null, reason);
}

/** A table cell whose content stays in one piece when narrow screens turn rows into cards. */
const cell = (tag, label, ...children) => h(tag, { 'data-label': label, ...(tag === 'th' ? { scope: 'row' } : {}) }, h('span', { class: 'cell' }, children));

function transfersTable(data, filter) {
  const caption =
    filter.status || filter.batch
      ? `${data.matching} of ${data.total} transfers${filter.status ? `, ${STATUS_LABELS[filter.status] ?? filter.status}` : ''}${filter.batch ? `, batch ${short(filter.batch)}` : ''}${data.matching > data.transfers.length ? ` (newest ${data.transfers.length} shown)` : ''}`
      : `${data.total} transfer${data.total === 1 ? '' : 's'}, newest first${data.matching > data.transfers.length ? ` (newest ${data.transfers.length} shown)` : ''}`;
  if (!data.transfers.length) {
    return h(
      'div',
      { class: 'empty', id: 'transfers' },
      h('p', {}, data.total ? 'No transfer matches this filter.' : 'No transfers yet.'),
      data.total
        ? null
        : h(
            'p',
            { class: 'muted' },
            'Start one with ',
            h('code', {}, 'npx cert-transfer start <certificateId> --to 333333333333 --local'),
            ' or a signed ',
            h('code', {}, 'POST /transfers'),
            '; it appears here as soon as its workflow starts.',
          ),
    );
  }
  return h(
    'div',
    { class: 'table-wrap', 'data-scroll-key': 'transfers' },
    h(
      'table',
      { class: 'grid transfers', id: 'transfers' },
      h('caption', {}, caption),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Transfer'),
          h('th', { scope: 'col' }, 'Status'),
          h('th', { scope: 'col' }, 'Certificate'),
          h('th', { scope: 'col' }, 'Source → target'),
          h('th', { scope: 'col' }, 'Age'),
          h('th', { scope: 'col' }, 'Outcome'),
        ),
      ),
      h(
        'tbody',
        {},
        data.transfers.map((t) =>
          h(
            'tr',
            { dataset: { key: `t-${t.transferId}`, transferId: t.transferId, status: t.status }, class: OPEN.has(t.status) && 'row-open' },
            cell(
              'th',
              'Transfer',
              h('a', { href: `/console/transfers/${encodeURIComponent(t.transferId)}`, class: 'mono', title: t.transferId }, short(t.transferId)),
              t.batchId ? h('a', { class: 'chip', href: filterHref(filter.status, t.batchId), title: `Batch ${t.batchId}` }, `batch ${short(t.batchId, 6)}`) : null,
            ),
            cell('td', 'Status', badge(t.status)),
            cell('td', 'Certificate', h('span', { class: 'mono', title: t.certificateId }, short(t.certificateId, 12))),
            cell(
              'td',
              'Source → target',
              h('span', { class: 'mono' }, t.sourceAccount),
              h('span', { 'aria-hidden': 'true' }, ' → '),
              h('span', { class: 'sr-only' }, ' to '),
              h('span', { class: 'mono' }, t.targetAccount),
            ),
            cell('td', 'Age', ageTime(t.createdAt)),
            cell('td', 'Outcome', outcomeCell(t)),
          ),
        ),
      ),
    ),
  );
}

function batchesSection(data, filter) {
  if (!data.batches.length) return null;
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'batches-h' },
    h('h2', { id: 'batches-h' }, 'Batches'),
    h(
      'div',
      { class: 'table-wrap', 'data-scroll-key': 'batches' },
      h(
        'table',
        { class: 'grid batches' },
        h('caption', { class: 'sr-only' }, 'Batches of transfers, newest first'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Batch'),
            h('th', { scope: 'col' }, 'Status'),
            h('th', { scope: 'col' }, 'Target'),
            h('th', { scope: 'col' }, 'Progress'),
            h('th', { scope: 'col' }, 'Transfers by status'),
            h('th', { scope: 'col' }, 'Age'),
          ),
        ),
        h(
          'tbody',
          {},
          data.batches.map((b) => [
            h(
              'tr',
              { dataset: { key: `b-${b.batchId}`, batchId: b.batchId }, class: [filter.batch === b.batchId && 'row-selected', b.notStartedItems.length && 'has-sub'] },
              cell('th', 'Batch', h('a', { href: filterHref('', b.batchId), class: 'mono', title: `Show the transfers of batch ${b.batchId}` }, short(b.batchId, 12))),
              cell('td', 'Status', b.status ? badge(b.status) : h('span', { class: 'muted' }, 'unknown'), b.error ? h('span', { class: 'reason', title: b.error }, b.error) : null),
              cell('td', 'Target', h('span', { class: 'mono' }, b.targetAccount ?? '')),
              cell(
                'td',
                'Progress',
                h('progress', { max: String(b.total || 1), value: String(b.done), 'aria-label': `${b.done} of ${b.total} settled` }),
                h('span', { class: 'progress-text' }, ` ${b.done} / ${b.total} settled`),
              ),
              cell(
                'td',
                'Transfers by status',
                h(
                  'span',
                  { class: 'badges' },
                  Object.entries(b.byStatus).map(([st, n]) => h('span', { class: 'count' }, badge(st), ` ${n}`)),
                  b.notStarted ? h('span', { class: 'count' }, h('span', { class: 'badge badge-not-started' }, 'Not started'), ` ${b.notStarted}`) : null,
                ),
              ),
              cell('td', 'Age', ageTime(b.createdAt)),
            ),
            b.notStartedItems.length ? notStartedRow(b) : null,
          ]),
        ),
      ),
    ),
  );
}

/** The certificates a batch could not start a transfer for, each with the error and reason it recorded. */
function notStartedRow(b) {
  const more = b.notStarted - b.notStartedItems.length;
  return h(
    'tr',
    { class: 'batch-sub', dataset: { notStartedOf: b.batchId } },
    h(
      'td',
      { colspan: '6' },
      h('p', { class: 'sub-title', id: `ns-${b.batchId}` }, `Not started (${b.notStarted}): no transfer was opened for ${b.notStarted === 1 ? 'this certificate' : 'these certificates'}`),
      h(
        'ul',
        { class: 'not-started', 'aria-labelledby': `ns-${b.batchId}` },
        b.notStartedItems.map((c) =>
          h(
            'li',
            { dataset: { certificateId: c.certificateId } },
            h('span', { class: 'mono cert-id' }, c.certificateId),
            h('span', { class: 'ns-why' }, c.error ? h('strong', {}, c.error) : null, c.error && c.reason && c.reason !== c.error ? ': ' : '', c.reason && c.reason !== c.error ? c.reason : ''),
          ),
        ),
      ),
      more > 0 ? h('p', { class: 'muted small' }, `and ${more} more: `, h('code', {}, `cert-transfer batch-status ${b.batchId} --local`), ' lists them all') : null,
    ),
  );
}

function filters(data, filter) {
  const total = Object.values(data.counts).reduce((a, b) => a + b, 0);
  const button = (status, label, n) =>
    h(
      'button',
      {
        type: 'button',
        class: ['filter', status && `filter-${status.toLowerCase().replace(/_/g, '-')}`],
        'aria-pressed': String((filter.status ?? '') === status),
        dataset: { key: `filter-${status || 'all'}`, status },
        on: { click: () => navigate(status, filter.batch) },
      },
      label,
      h('span', { class: 'filter-count' }, String(n)),
    );
  return h(
    'div',
    { class: 'filters', role: 'group', 'aria-label': 'Filter transfers by status' },
    button('', 'All', total),
    STATUSES.map((st) => button(st, STATUS_LABELS[st], data.counts[st] ?? 0)),
  );
}

let refresh = () => undefined;
function navigate(status, batch) {
  window.history.pushState({}, '', filterHref(status, batch));
  refresh();
}

/** The list of transfers and batches, live. */
export function showList(main) {
  document.title = 'Transfers · local console';
  let inFlight = false;
  let again = false;
  const render = async () => {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    try {
      const q = query();
      const filter = { status: q.get('status') ?? '', batch: q.get('batch') ?? '' };
      const params = new URLSearchParams();
      if (filter.status) params.set('status', filter.status);
      if (filter.batch) params.set('batch', filter.batch);
      const data = await getJson(`/console/api/transfers${params.toString() ? `?${params}` : ''}`);
      const next = h(
        'div',
        {},
        h(
          'div',
          { class: 'page-head' },
          h('h1', {}, 'Transfers'),
          h(
            'p',
            { class: 'lede' },
            `Source account `,
            h('span', { class: 'mono' }, data.sourceAccount),
            ` · ${data.region} · ${data.total} transfer${data.total === 1 ? '' : 's'}${data.truncated ? ' (newest 5,000 counted)' : ''}`,
          ),
        ),
        filters(data, filter),
        filter.batch ? h('p', { class: 'notice' }, 'Showing batch ', h('span', { class: 'mono' }, filter.batch), ' · ', h('a', { href: filterHref(filter.status, '') }, 'show every batch')) : null,
        batchesSection(data, filter),
        h('section', { class: 'panel', 'aria-labelledby': 'transfers-h' }, h('h2', { id: 'transfers-h' }, 'Transfers'), transfersTable(data, filter)),
      );
      swap(main, next);
      main.dataset.ready = 'true';
    } catch (err) {
      swap(main, h('div', {}, h('h1', {}, 'Transfers'), h('p', { class: 'error', role: 'alert' }, `The console could not load the transfers: ${err.message}`)));
    } finally {
      inFlight = false;
      if (again) {
        again = false;
        void render();
      }
    }
  };
  refresh = () => void render();
  window.addEventListener('popstate', refresh);
  liveFeed(refresh);
  void render();
}
