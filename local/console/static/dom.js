/* global URLSearchParams */
/**
 * Small DOM helpers: every piece of data goes in as text (never as HTML), so
 * a certificate message or an event detail cannot inject markup.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof window.Node ? c : document.createTextNode(String(c)));
  }
}

function applyProps(el, props) {
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'dataset')
      for (const [dk, dv] of Object.entries(v)) {
        if (dv !== undefined) el.dataset[dk] = String(dv);
      }
    else if (k === 'value' && 'value' in el) el.value = v;
    else if (k === 'checked' && 'checked' in el) el.checked = Boolean(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

/** An HTML element: h('a', {href: '/x', class: 'link'}, 'text', child). */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/** An SVG element. */
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

export const STATUS_LABELS = {
  REQUESTED: 'Requested',
  PREPARING: 'Preparing',
  AWAITING_DECISION: 'Awaiting decision',
  CANCELLING: 'Cancelling',
  ACCEPTED: 'Accepted',
  REJECTED: 'Rejected',
  CANCELLED: 'Cancelled',
  EXPIRED: 'Expired',
  FAILED: 'Failed',
  RUNNING: 'Running',
  SUCCEEDED: 'Succeeded',
  TIMED_OUT: 'Timed out',
  ABORTED: 'Aborted',
  ACTIVE: 'Active',
  INACTIVE: 'Inactive',
  PENDING_TRANSFER: 'Pending transfer',
  REVOKED: 'Revoked',
  COMPLETED: 'Completed',
  DELIVERED: 'Delivered',
  PENDING: 'Pending',
  DELAYED: 'Delayed',
  'IN-FLIGHT': 'In flight',
  RETRYING: 'Retrying',
};

/** What became of the certificate, per restore status. */
export const RESTORE_LABELS = {
  RESTORED: 'certificate restored',
  NOT_NEEDED: 'nothing to restore',
  SKIPPED: 'restore skipped',
  FAILED: 'restore FAILED',
  ALREADY_ACCEPTED: 'accepted meanwhile',
};

/** A status badge: colour and text, so the colour is never the only clue. */
export function badge(status, extra) {
  return h('span', { class: ['badge', `badge-${String(status).toLowerCase().replace(/_/g, '-')}`, extra] }, STATUS_LABELS[status] ?? String(status));
}

export const short = (id, n = 8) => (id && id.length > n + 1 ? `${id.slice(0, n)}…` : (id ?? ''));

const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const todayFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });
/** Today: the time only; other days: date and time. */
export function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return (d.toDateString() === new Date().toDateString() ? todayFormat : fullFormat).format(d);
}

/** "12 s", "4 min", "3 h", "2 d". */
export function age(iso, now = Date.now()) {
  const ms = Math.max(0, now - Date.parse(iso));
  const sec = Math.floor(ms / 1000);
  if (sec < 60) return `${sec} s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min} min`;
  const hr = Math.floor(min / 60);
  if (hr < 48) return `${hr} h`;
  return `${Math.floor(hr / 24)} d`;
}

export function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min`;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');
/** An absolute timestamp to the millisecond, local time, as the Step Functions console shows them: `2025-03-04 14:05:06.789`. */
export function stampText(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A <time> with that absolute timestamp; the UTC instant in its tooltip. */
export function stamp(iso, props = {}) {
  return h('time', { datetime: iso, title: iso, class: 'stamp', ...props }, stampText(iso));
}

/** A <time> that keeps saying how long ago it was (see refreshAges). */
export function ageTime(iso) {
  return h('time', { datetime: iso, title: formatTime(iso), dataset: { age: iso } }, age(iso));
}

export function refreshAges(root = document) {
  const now = Date.now();
  for (const t of root.querySelectorAll('time[data-age]')) t.textContent = age(t.dataset.age, now);
}

/** Pretty JSON for a value that may be a JSON string (history inputs are). */
export function prettyJson(value) {
  if (typeof value === 'string') {
    const t = value.trim();
    if (t.startsWith('{') || t.startsWith('[')) {
      try {
        return JSON.stringify(JSON.parse(t), null, 2);
      } catch {
        return value;
      }
    }
    return value;
  }
  return JSON.stringify(value, null, 2);
}

export function codeBlock(value, label) {
  return h('pre', { class: 'code', tabindex: '0', 'aria-label': label }, h('code', {}, prettyJson(value)));
}

export async function getJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(body.message ?? `HTTP ${res.status}`), { status: res.status, body });
  return body;
}

export async function postJson(path, payload) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-console': '1', accept: 'application/json' }, body: JSON.stringify(payload ?? {}) });
  const body = await res.json().catch(() => ({}));
  return { ok: res.ok, status: res.status, body };
}

export function query() {
  return new URLSearchParams(window.location.search);
}

/**
 * Replaces `target`'s content with `next`'s when it changed, keeping what the
 * operator had open (details elements), focused and scrolled.
 */
export function swap(target, next) {
  const open = new Set([...target.querySelectorAll('details[open][data-key]')].map((d) => d.dataset.key));
  const focusKey = document.activeElement?.closest?.('[data-key]')?.dataset.key;
  const focusWithin = target.contains(document.activeElement);
  const scrolls = new Map([...target.querySelectorAll('[data-scroll-key]')].map((e) => [e.dataset.scrollKey, [e.scrollLeft, e.scrollTop]]));
  target.replaceChildren(...next.childNodes);
  for (const d of target.querySelectorAll('details[data-key]')) if (open.has(d.dataset.key)) d.open = true;
  for (const e of target.querySelectorAll('[data-scroll-key]')) {
    const sc = scrolls.get(e.dataset.scrollKey);
    if (sc) [e.scrollLeft, e.scrollTop] = sc;
  }
  if (focusWithin && focusKey) {
    const el = [...target.querySelectorAll('[data-key]')].find((e) => e.dataset.key === focusKey);
    const focusable = el?.matches('a,button,summary,input,select,textarea,[tabindex]') ? el : el?.querySelector('a,button,summary,input,select,textarea,[tabindex]');
    focusable?.focus({ preventScroll: true });
  }
}

/**
 * The live feed: Server-Sent Events from the local cloud, with polling as the
 * fallback while the stream is down. `onChange` is called at most every
 * `minGapMs`.
 */
export function liveFeed(onChange, { minGapMs = 300, pollMs = 5000, everyMs = 0 } = {}) {
  const status = document.getElementById('live');
  const text = status?.querySelector('.live-text');
  const setStatus = (state, label) => {
    if (!status) return;
    status.dataset.state = state;
    if (text) text.textContent = label;
  };
  let last = 0;
  let timer;
  const trigger = () => {
    if (timer) return;
    const wait = Math.max(0, last + minGapMs - Date.now());
    timer = setTimeout(() => {
      timer = undefined;
      last = Date.now();
      onChange();
    }, wait);
  };
  let poll;
  const source = new EventSource('/console/api/stream');
  source.addEventListener('open', () => {
    setStatus('live', 'Live');
    if (poll) {
      clearInterval(poll);
      poll = undefined;
    }
    trigger();
  });
  source.addEventListener('change', trigger);
  source.addEventListener('error', () => {
    setStatus('down', 'Reconnecting… (polling)');
    poll ??= setInterval(trigger, pollMs);
  });
  // Ages move on even when nothing happens.
  setInterval(() => refreshAges(), 5000);
  // Some changes raise no event (a decision made with the AWS CLI shows in IoT before the reconciler runs).
  if (everyMs) setInterval(trigger, everyMs);
  window.addEventListener('pagehide', () => source.close());
  return { refresh: trigger, close: () => source.close() };
}
