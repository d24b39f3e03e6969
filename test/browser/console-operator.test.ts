import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { RejectCertificateTransferCommand } from '@aws-sdk/client-iot';
import { GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { SHORT_EXPIRY_PARAMS, SHORT_TIMEOUT_SECONDS, makeDeviceCertificate, startTestCloud, until, type TestCloud } from '../support/cloud.js';

/*
 * What an operator reads off the console, beside the Step Functions console:
 * the whole graph fitted and readable, the outcome and its reason in the
 * header (expected outcomes not dressed as failures), per-state durations and
 * absolute timestamps, the execution ARN, a history filter, and the
 * certificates a batch could not start. Facts are checked against the public
 * interfaces (transfer API, GetExecutionHistory), not only the page.
 *
 * Screenshots go to test-results/, or to CONSOLE_SCREENSHOTS (docs/screenshots
 * when the README's pictures are refreshed).
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SKIP_MESSAGE = `${CHROMIUM} is missing: install Chromium with \`apt-get install chromium\` (Debian/Ubuntu) or point CHROMIUM_PATH at one`;
if (!HAVE_CHROMIUM) console.warn(`Browser tests skipped: ${SKIP_MESSAGE}`);

const SOURCE = '111111111111';
const AUTO = '222222222222';
const HUMAN = '333333333333';
const SHOTS = process.env.CONSOLE_SCREENSHOTS ?? join(process.cwd(), 'test-results');
const STAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/;

let t: TestCloud;
let browser: Browser;
let context: BrowserContext;
const problems: string[] = [];
/** Pages of the running test: closed after it, since each holds a live stream and Chromium opens at most six connections per host. */
const pages: Page[] = [];

async function open(path: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const page = await context.newPage();
  pages.push(page);
  await page.setViewportSize(viewport);
  page.on('pageerror', (err) => problems.push(`pageerror on ${path}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error on ${path}: ${msg.text()}`);
  });
  await page.goto(`${t.cloud.apiUrl}${path}`);
  await page.waitForSelector('main[data-ready="true"]');
  return page;
}

async function awaitingDecision(targetAccount = HUMAN, timeoutSeconds?: number): Promise<string> {
  const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
  const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount, ...(timeoutSeconds ? { timeoutSeconds } : {}) });
  const transferId = String(started.transferId);
  await until(`transfer ${transferId} to await a decision`, async () => (await t.api().getTransfer(transferId)).status === 'AWAITING_DECISION');
  return transferId;
}

async function ended(transferId: string, status: string, timeoutMs = 30_000): Promise<Record<string, unknown>> {
  return until(
    `transfer ${transferId} to be ${status}`,
    async () => {
      const r = await t.api().getTransfer(transferId);
      return r.status === status ? r : undefined;
    },
    timeoutMs,
    200,
  );
}

async function executionHistory(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await t.sfn().send(new GetExecutionHistoryCommand({ executionArn, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** A transfer the target rejected with the AWS SDK, as with `aws iot reject-certificate-transfer`; made once, read by several tests. */
let rejected: Promise<{ transferId: string; record: Record<string, unknown> }> | undefined;
function rejectedTransfer() {
  rejected ??= (async () => {
    const transferId = await awaitingDecision();
    const { certificateId } = await t.api().getTransfer(transferId);
    await t.iot(HUMAN).send(new RejectCertificateTransferCommand({ certificateId: String(certificateId), rejectReason: 'not our devices' }));
    return { transferId, record: await ended(transferId, 'REJECTED') };
  })();
  return rejected;
}

type Box = { x: number; y: number; width: number; height: number };
interface Measured {
  nodes: { state: string; px: number; label: Box; box: Box }[];
  labels: { text: string; from: string; px: number; box: Box }[];
}
/** In the page: each state name and edge label, its size on screen (CSS px) and its box. */
const MEASURE_GRAPH = `(() => {
  const svg = document.querySelector('#graph svg');
  const scale = svg.getBoundingClientRect().width / Number(svg.getAttribute('viewBox').split(' ')[2]);
  const px = (el) => parseFloat(getComputedStyle(el).fontSize) * scale;
  const rect = (el) => { const r = el.getBoundingClientRect(); return { x: r.x, y: r.y, width: r.width, height: r.height }; };
  return {
    nodes: [...svg.querySelectorAll('.node')].map((n) => ({ state: n.dataset.state, px: px(n.querySelector('.node-label')), label: rect(n.querySelector('.node-label')), box: rect(n.querySelector('.node-box')) })),
    labels: [...svg.querySelectorAll('.edge-label')].map((l) => ({ text: l.textContent, from: l.dataset.from, px: px(l), box: rect(l) })),
  };
})()`;
type Dataset = { dataset: Record<string, string>; textContent: string | null };
const intersection = (a: Box, b: Box) => Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)) * Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));

describe.skipIf(!HAVE_CHROMIUM)(HAVE_CHROMIUM ? 'console for operators in Chromium' : `console for operators in Chromium (skipped: ${SKIP_MESSAGE})`, () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    t = await startTestCloud({ sourceParams: SHORT_EXPIRY_PARAMS });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
  }, 90_000);

  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await t?.stop();
  });

  it('opens the graph fitted whole, names readable and apart, and zooms in, out, to fit and to actual size', async () => {
    const transferId = await awaitingDecision();
    const page = await open(`/console/transfers/${transferId}`);
    await page.waitForSelector('#graph[data-fitted="true"] svg .node[data-current="true"]');

    // Whole: nothing to scroll, nothing scrolled.
    const box = await page.$eval('#graph', (el) => ({ sw: el.scrollWidth, cw: el.clientWidth, sh: el.scrollHeight, ch: el.clientHeight, top: el.scrollTop, left: el.scrollLeft }));
    expect(box.sw).toBeLessThanOrEqual(box.cw);
    expect(box.sh).toBeLessThanOrEqual(box.ch);
    expect([box.top, box.left]).toEqual([0, 0]);
    const fitted = Number(await page.getAttribute('#graph', 'data-zoom'));

    // Readable: every state name at 11 px or more on screen, every edge label at 10 px or more, each inside its box.
    const text = (await page.evaluate(MEASURE_GRAPH)) as Measured;
    expect(text.nodes.length).toBeGreaterThan(20);
    for (const n of text.nodes) {
      expect(n.px, `${n.state} font`).toBeGreaterThanOrEqual(11);
      expect(n.label.width, `${n.state} fits its box`).toBeLessThanOrEqual(n.box.width);
    }
    const fanned = text.labels.filter((l) => l.from === 'Which Outcome?');
    expect(fanned.map((l) => l.text).sort()).toEqual(['= ACCEPTED', '= CANCELLED', '= EXPIRED', '= REJECTED', '= RESTORE_FAILED', 'Default']);
    for (const [i, a] of text.labels.entries()) {
      expect(a.px, `${a.text} font`).toBeGreaterThanOrEqual(10);
      for (const b of text.labels.slice(i + 1)) expect(intersection(a.box, b.box), `"${a.text}" (${a.from}) over "${b.text}" (${b.from})`).toBeLessThan(1);
      for (const n of text.nodes) expect(intersection(a.box, n.box), `"${a.text}" over ${n.state}`).toBeLessThan(1);
    }
    await page.locator('.graph-panel').screenshot({ path: join(SHOTS, 'console-graph-fitted.png') });

    // Zoom in: larger than the box, scrollable; out twice: smaller than fitted; Fit: back; 1:1: actual size.
    await page.click('#zoom-in');
    await page.waitForSelector('#graph[data-fitted="false"]');
    expect(Number(await page.getAttribute('#graph', 'data-zoom'))).toBeCloseTo(fitted * 1.25, 2);
    expect(await page.$eval('#graph', (el) => el.scrollHeight > el.clientHeight)).toBe(true);
    await page.click('#zoom-out');
    await page.click('#zoom-out');
    expect(Number(await page.getAttribute('#graph', 'data-zoom'))).toBeLessThan(fitted);
    await page.click('#zoom-fit');
    await page.waitForSelector('#graph[data-fitted="true"]');
    expect(Number(await page.getAttribute('#graph', 'data-zoom'))).toBeCloseTo(fitted, 3);
    expect(await page.getAttribute('#zoom-fit', 'aria-pressed')).toBe('true');
    await page.click('#zoom-actual');
    await page.waitForSelector('#zoom-level:has-text("100%")');
    expect(await page.$eval('#graph svg', (svg) => svg.getAttribute('width'))).toBe(await page.$eval('#graph svg', (svg) => svg.getAttribute('viewBox')!.split(' ')[2]));
    expect(problems).toEqual([]);
  });

  it('says in the header that the target rejected it and why, as an expected outcome, with the execution ARN, duration and transitions', async () => {
    const { transferId, record } = await rejectedTransfer();
    const page = await open(`/console/transfers/${transferId}`);
    await page.waitForSelector('main[data-status="REJECTED"] #outcome[data-tone="expected"]');

    expect(await page.textContent('#outcome')).toContain(`Rejected by the target account ${HUMAN}`);
    expect(await page.textContent('#outcome-reason')).toContain('not our devices');
    expect(await page.textContent('#outcome')).toContain('certificate restored');
    // Step Functions says FAILED; the console says it ended, and nowhere in the header is a red "Failed".
    expect(await page.textContent('#fact-execution')).toMatch(/Ended\s*·\s*TransferRejected/);
    expect(await page.locator('#head .badge-failed').count()).toBe(0);

    const history = await executionHistory(String(record.executionArn));
    expect(await page.textContent('#fact-arn')).toBe(record.executionArn);
    expect(await page.textContent('#fact-transitions')).toBe(String(history.filter((e) => e.type!.endsWith('StateEntered')).length));
    const ran = history[history.length - 1].timestamp!.getTime() - history[0].timestamp!.getTime();
    expect(await page.textContent('#fact-duration')).toBe(ran < 60_000 ? `${(ran / 1000).toFixed(1)} s` : expect.any(String));
    for (const time of await page.locator('#head time.stamp').allTextContents()) expect(time).toMatch(STAMP);
    expect(await page.locator('#head time.stamp').count()).toBe(2); // started and ended
    await page.locator('#head').screenshot({ path: join(SHOTS, 'console-header-rejected.png') });
    expect(problems).toEqual([]);
  });

  it('shows the cancel reason in the header, and no "Cancel requested" line once the cancel is done', async () => {
    const transferId = await awaitingDecision();
    const page = await open(`/console/transfers/${transferId}`);
    await page.click('[data-key="btn-cancel"]');
    await page.fill('dialog[open] #dialog-reason', 'sent to the wrong account');
    await page.click('dialog[open] [data-answer="yes"]');

    await page.waitForSelector('main[data-status="CANCELLED"] #outcome[data-tone="expected"]', { timeout: 30_000 });
    expect(await ended(transferId, 'CANCELLED')).toMatchObject({ cancelReason: 'sent to the wrong account' });
    expect(await page.textContent('#outcome')).toContain('Cancelled by an operator');
    expect(await page.textContent('#outcome-reason')).toContain('sent to the wrong account');
    await page.waitForFunction("document.getElementById('action-result').textContent === ''");
    expect(await page.isHidden('#action-result')).toBe(true);
    expect(await page.textContent('main')).not.toContain('Cancel requested (');
    expect(await page.locator('#head .badge-failed').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('shows an expired offer as expected, with the timeout as its reason', async () => {
    const transferId = await awaitingDecision(HUMAN, SHORT_TIMEOUT_SECONDS);
    await ended(transferId, 'EXPIRED', 40_000);
    const page = await open(`/console/transfers/${transferId}`);
    await page.waitForSelector('main[data-status="EXPIRED"] #outcome[data-tone="expected"]');
    expect(await page.textContent('#outcome')).toContain(`Expired: no decision within ${SHORT_TIMEOUT_SECONDS} s`);
    expect(await page.textContent('#outcome-reason')).toContain(`No decision within ${SHORT_TIMEOUT_SECONDS} seconds`);
    expect(await page.textContent('#fact-execution')).toContain('TransferExpired');
    expect(await page.locator('#head .badge-failed').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('lists every state entered with its absolute start and end and its duration, as GetExecutionHistory has them', async () => {
    const { transferId, record } = await rejectedTransfer();
    const page = await open(`/console/transfers/${transferId}#states`);
    await page.waitForSelector('#state-table tbody tr');

    const history = await executionHistory(String(record.executionArn));
    const entered = history.filter((e) => e.type!.endsWith('StateEntered'));
    const rows = await page.$$eval('#state-table tbody tr', (trs) =>
      trs.map((tr) => ({
        state: (tr as unknown as Dataset).dataset.state,
        cells: [...tr.querySelectorAll('td, th')].map((c) => c.textContent!.trim()),
      })),
    );
    expect(rows.map((r) => r.state)).toEqual(entered.map((e) => e.stateEnteredEventDetails!.name));
    const ms = (text: string) => (text.endsWith(' ms') ? Number(text.slice(0, -3)) : Number(text.slice(0, -2)) * 1000);
    for (const [i, row] of rows.entries()) {
      const [, , , , start, end, took] = row.cells;
      expect(start, row.state).toMatch(STAMP);
      expect(end, row.state).toMatch(STAMP);
      expect(took, row.state).toMatch(/^\d+(\.\d)? (ms|s)$/);
      // The duration is from this state's Entered event to its Exited one (or to the end of the execution).
      const from = entered[i];
      const exit = history.find((e) => e.id! > from.id! && (e.stateExitedEventDetails?.name === row.state || /^Execution(Failed|Succeeded)$/.test(e.type!)))!;
      const expected = exit.timestamp!.getTime() - from.timestamp!.getTime();
      // The console rounds to the unit it shows: whole milliseconds, or tenths of a second (so at most 50 ms off, inclusive).
      const halfUnit = took.endsWith(' ms') ? 0.5 : 50;
      expect(Math.abs(ms(took) - expected), `${row.state}: ${took} for ${expected} ms`).toBeLessThanOrEqual(halfUnit);
    }
    // The wait ended with the decision; the Fail state the workflow ends in is an expected end, not a failure.
    expect(rows.find((r) => r.state === 'Notify Target And Wait')!.cells[3]).toBe('Succeeded');
    expect(rows[rows.length - 1]).toMatchObject({ state: 'Transfer Rejected', cells: expect.arrayContaining(['Fail', 'Expected end']) });
    expect(await page.getAttribute('[data-state="Transfer Rejected"]', 'data-outcome')).toBe('ended');
    await page.locator('.details-panel').screenshot({ path: join(SHOTS, 'console-state-durations.png') });

    // A state's name in the table selects it in the graph.
    await page.click('#state-table [data-select="Preflight Certificate"]');
    await page.waitForSelector('#state-detail h3:has-text("Preflight Certificate")');
    expect(await page.textContent('#state-detail')).toMatch(/Time in this state: \d/);
    expect(problems).toEqual([]);
  });

  it('filters the history by event type, by state and by text', async () => {
    const { transferId, record } = await rejectedTransfer();
    const page = await open(`/console/transfers/${transferId}`);
    await page.waitForSelector('#history-list > li');
    const history = await executionHistory(String(record.executionArn));
    const visible = () =>
      page.$$eval('#history-list > li:not([hidden])', (lis) =>
        lis.map((li) => ({ type: (li as unknown as Dataset).dataset.type, state: (li as unknown as Dataset).dataset.state, text: String(li.textContent) })),
      );
    expect(await visible()).toHaveLength(history.length);
    for (const time of (await page.locator('#history-list .ev-stamp').allTextContents()).slice(0, 5)) expect(time).toMatch(STAMP);

    await page.selectOption('#hf-type', 'group:failures');
    const failures = history.filter((e) => /Failed$|TimedOut$|Aborted$/.test(e.type!));
    await page.waitForSelector(`#hf-count:has-text("${failures.length} of ${history.length} events match")`);
    expect((await visible()).map((r) => r.type)).toEqual(failures.map((e) => e.type));

    await page.selectOption('#hf-type', 'TaskStateEntered');
    await page.selectOption('#hf-state', 'Notify Target And Wait');
    expect(await visible()).toEqual([expect.objectContaining({ type: 'TaskStateEntered', state: 'Notify Target And Wait' })]);

    await page.click('#hf-clear');
    await page.fill('#hf-text', 'not our devices');
    await page.waitForSelector('#hf-count:has-text("events match")');
    const matching = await visible();
    expect(matching.length).toBeGreaterThan(0);
    expect(matching.length).toBeLessThan(history.length);
    for (const r of matching) expect(r.text.toLowerCase()).toContain('not our devices');

    await page.click('#hf-clear');
    await page.waitForSelector(`#hf-count:has-text("${history.length} events")`);
    expect(await visible()).toHaveLength(history.length);
    expect(problems).toEqual([]);
  });

  it('lists, on a batch row, the certificates the batch could not start and why', async () => {
    const good = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
    const unknown = 'ab'.repeat(32);
    const started = await t.api().startBatch({ certificateIds: [good.certificateId, unknown], targetAccount: AUTO });
    const batchId = String(started.batchId);
    const batch = await until(
      'the batch to finish',
      async () => {
        const b = await t.api().getBatch(batchId);
        return b.status === 'RUNNING' ? undefined : b;
      },
      60_000,
      250,
    );
    const failure = (batch.failures as { certificateId: string; status: string; error?: string; reason?: string }[]).find((f) => f.certificateId === unknown);
    expect(failure).toMatchObject({ status: 'NOT_STARTED', error: 'CertificateNotFound' });

    const page = await open('/console');
    const sub = `tr[data-not-started-of="${batchId}"]`;
    await page.waitForSelector(`${sub} li[data-certificate-id="${unknown}"]`);
    const item = await page.textContent(`${sub} li[data-certificate-id="${unknown}"]`);
    expect(item).toContain(unknown);
    expect(item).toContain('CertificateNotFound');
    expect(item).toContain(failure!.reason!.slice(0, 40));
    expect(await page.locator(`${sub} li`).count()).toBe(1);
    expect(await page.textContent(`tr[data-batch-id="${batchId}"]`)).toMatch(/Not started\s*1/);
    // The list is redrawn as events arrive: capture the region of the page, not the element.
    const section = page.locator('section[aria-labelledby="batches-h"]');
    await section.waitFor({ state: 'visible' });
    // A redraw can catch the box between two renders: ask again until the section has one.
    const area = await until('the batch list to have a box', async () => (await section.boundingBox()) ?? undefined, 10_000, 100);
    await page.screenshot({ path: join(SHOTS, 'console-batch-not-started.png'), clip: area });
    expect(problems).toEqual([]);
  });
});
