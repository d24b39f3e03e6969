import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { parse } from 'yaml';
import { DescribeCertificateCommand, ListAttachedPoliciesCommand, ListPrincipalThingsV2Command } from '@aws-sdk/client-iot';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { makeDeviceCertificate, startTestCloud, until, type DeviceCertificate, type TestCloud } from '../support/cloud.js';

/*
 * The local web console in a real browser: Debian's Chromium driven by
 * playwright-core. Everything the console changes is checked through public
 * interfaces (the transfer API, the IoT SDK), never through the page alone.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SKIP_MESSAGE = `${CHROMIUM} is missing: install Chromium with \`apt-get install chromium\` (Debian/Ubuntu) or point CHROMIUM_PATH at one`;
if (!HAVE_CHROMIUM) console.warn(`Browser tests skipped: ${SKIP_MESSAGE}`);

const SOURCE = '111111111111';
const HUMAN = '333333333333';
const ARTEFACTS = join(process.cwd(), 'test-results');
const ASL_STATES = Object.keys((parse(readFileSync(join(process.cwd(), 'statemachines/certificate-transfer.asl.yml'), 'utf8')) as { States: Record<string, unknown> }).States);

let t: TestCloud;
let browser: Browser;
let context: BrowserContext;
const problems: string[] = [];

/** A page that reports every uncaught error and console error into `problems`. */
async function open(path: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  page.on('pageerror', (err) => problems.push(`pageerror on ${path}: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console.error on ${path}: ${msg.text()}`);
  });
  await page.goto(`${t.cloud.apiUrl}${path}`);
  await page.waitForSelector('main[data-ready="true"]');
  return page;
}

async function startTransfer(cert: DeviceCertificate, targetAccount = HUMAN): Promise<string> {
  const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount });
  return String(started.transferId);
}

async function awaitingDecision(transferId: string): Promise<void> {
  await until(`transfer ${transferId} to await a decision`, async () => (await t.api().getTransfer(transferId)).status === 'AWAITING_DECISION');
}

async function expectRestored(cert: DeviceCertificate): Promise<void> {
  const iot = t.iot(SOURCE);
  const d = await iot.send(new DescribeCertificateCommand({ certificateId: cert.certificateId }));
  expect(d.certificateDescription?.status).toBe('ACTIVE');
  const policies = await iot.send(new ListAttachedPoliciesCommand({ target: cert.certificateArn }));
  expect(policies.policies?.map((p) => p.policyName).sort()).toEqual([...cert.policies].sort());
  const things = await iot.send(new ListPrincipalThingsV2Command({ principal: cert.certificateArn }));
  expect(things.principalThingObjects?.map((p) => p.thingName).sort()).toEqual([...cert.things].sort());
}

/** Clicks an action button, fills in the confirmation dialog, confirms. */
async function actAndConfirm(page: Page, buttonKey: string, fields: Record<string, string> = {}): Promise<void> {
  await page.click(`[data-key="${buttonKey}"]`);
  await page.waitForSelector('dialog[open]');
  for (const [id, value] of Object.entries(fields)) await page.fill(`dialog[open] #dialog-${id}`, value);
  await page.click('dialog[open] [data-answer="yes"]');
}

describe.skipIf(!HAVE_CHROMIUM)(HAVE_CHROMIUM ? 'web console in Chromium' : `web console in Chromium (skipped: ${SKIP_MESSAGE})`, () => {
  beforeAll(async () => {
    mkdirSync(ARTEFACTS, { recursive: true });
    t = await startTestCloud();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, reducedMotion: 'reduce' });
  }, 90_000);

  afterAll(async () => {
    // The browser goes first: its live streams would otherwise log the cloud going away.
    await context?.close();
    await browser?.close();
    await t?.stop();
  });

  it('lists a new transfer, and its progress, without a reload', async () => {
    const page = await open('/console');
    await page.evaluate(() => {
      (globalThis as unknown as { marker: string }).marker = 'same page';
    });
    const cert = await makeDeviceCertificate(t.iot(SOURCE));

    const transferId = await startTransfer(cert);

    const row = `tr[data-transfer-id="${transferId}"]`;
    await page.waitForSelector(row, { timeout: 20_000 });
    await page.waitForSelector(`${row}[data-status="AWAITING_DECISION"]`, { timeout: 20_000 });
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: string }).marker)).toBe('same page');
    expect(await page.textContent(row)).toContain('Notify Target And Wait');
    await page.click('button[data-status="AWAITING_DECISION"]');
    await page.waitForSelector(`button[data-status="AWAITING_DECISION"][aria-pressed="true"]`);
    expect(page.url()).toContain('status=AWAITING_DECISION');
    expect(await page.isVisible(row)).toBe(true);
    await page.click('button[data-status="ACCEPTED"]');
    await page.waitForSelector(row, { state: 'detached' });
    await page.click('button[data-status=""]');
    await page.waitForSelector(row);
    await page.screenshot({ path: join(ARTEFACTS, 'console-list-1280x800.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(ARTEFACTS, 'console-list-390.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('draws every state of the ASL file, highlights the current one, and shows the history without a task token', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 2, things: 1 });
    const transferId = await startTransfer(cert);
    await awaitingDecision(transferId);

    const page = await open(`/console/transfers/${transferId}`);
    await page.waitForSelector('main[data-status="AWAITING_DECISION"]');
    await page.waitForSelector('[data-state="Notify Target And Wait"][data-current="true"]');

    const drawn = await page.$$eval('svg .node', (nodes) => nodes.map((n) => (n as unknown as { dataset: Record<string, string> }).dataset.state));
    expect([...drawn].sort()).toEqual([...ASL_STATES].sort());
    const outcome = (state: string) => page.getAttribute(`[data-state="${state}"]`, 'data-outcome');
    expect(await outcome('Notify Target And Wait')).toBe('running');
    for (const done of ['Preflight Certificate', 'Deactivate Certificate', 'Detach Policies', 'Detach Things', 'Transfer Certificate']) expect(await outcome(done)).toBe('succeeded');
    expect(await outcome('Mark Failed')).toBe('none');
    expect(await page.$$eval('svg .node[data-current="true"]', (n) => n.length)).toBe(1);

    // The history, with inputs and outputs one click away.
    const firstEntered = page.locator('.history details', { hasText: 'TaskStateEntered' }).first();
    await firstEntered.locator('summary').click();
    expect(await firstEntered.locator('pre').first().textContent()).toContain(transferId);
    // Keyboard: a state of the graph is a button.
    await page.focus('[data-state="Preflight Certificate"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#state-detail h3:has-text("Preflight Certificate")');

    await page.screenshot({ path: join(ARTEFACTS, 'console-detail-1280x800.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(ARTEFACTS, 'console-detail-390.png'), fullPage: true });

    // The record holds the task token; nothing the console shows or serves may.
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: t.cloud.awsUrl, region: t.cloud.region, credentials: { accessKeyId: SOURCE, secretAccessKey: 'x' } }));
    const { Item } = await ddb.send(new GetCommand({ TableName: t.cloud.stacks[0].resources.TransferTable.ref, Key: { pk: `TRANSFER#${transferId}`, sk: 'TRANSFER' } }));
    ddb.destroy();
    const token = String(Item?.taskToken);
    expect(token.length).toBeGreaterThan(20);
    await page.$$eval('details', (all) =>
      all.forEach((d) => {
        (d as unknown as { open: boolean }).open = true;
      }),
    );
    for (const tab of ['history', 'certificate', 'events', 'notifications', 'record']) await page.click(`[role="tab"][data-tab="${tab}"]`);
    expect(await page.content()).not.toContain(token);
    const served = await (await fetch(`${t.cloud.apiUrl}/console/api/transfers/${transferId}`)).text();
    expect(served).toContain('(task token hidden)');
    expect(served).not.toContain(token);
    expect(problems).toEqual([]);
  });

  it('cancels from the console through DELETE /transfers/{id}, and the certificate is restored', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE), { policies: 2, things: 2 });
    const transferId = await startTransfer(cert);
    await awaitingDecision(transferId);
    const page = await open(`/console/transfers/${transferId}`);

    await actAndConfirm(page, 'btn-cancel', { reason: 'sent to the wrong account' });

    await page.waitForSelector('main[data-status="CANCELLED"]', { timeout: 30_000 });
    await page.waitForSelector('[data-state="Transfer Cancelled"][data-current="true"]');
    expect(await page.getAttribute('[data-state="Notify Target And Wait"]', 'data-outcome')).toBe('caught');
    const record = await t.api().getTransfer(transferId);
    expect(record).toMatchObject({ status: 'CANCELLED', cancelReason: 'sent to the wrong account', restore: { status: 'RESTORED' } });
    await expectRestored(cert);
    expect(await page.isHidden('[data-key="btn-cancel"]')).toBe(true);
    await page.screenshot({ path: join(ARTEFACTS, 'console-cancelled-1280x800.png') });
    expect(problems).toEqual([]);
  });

  it('accepts and rejects as the target account, and the reconciler settles both', async () => {
    const toReject = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
    const toAccept = await makeDeviceCertificate(t.iot(SOURCE), { policies: 1, things: 1 });
    const rejectId = await startTransfer(toReject);
    const acceptId = await startTransfer(toAccept);
    await awaitingDecision(rejectId);
    await awaitingDecision(acceptId);

    const page = await open(`/console/transfers/${rejectId}`);
    await actAndConfirm(page, 'btn-reject', { reason: 'not our devices' });
    await page.waitForSelector('main[data-status="REJECTED"]', { timeout: 30_000 });
    expect(await t.api().getTransfer(rejectId)).toMatchObject({ status: 'REJECTED', decision: { via: 'reconciler', reason: 'not our devices' }, restore: { status: 'RESTORED' } });
    await expectRestored(toReject);

    await page.goto(`${t.cloud.apiUrl}/console/transfers/${acceptId}`);
    await page.waitForSelector('main[data-ready="true"]');
    await actAndConfirm(page, 'btn-accept');
    await page.waitForSelector('main[data-status="ACCEPTED"]', { timeout: 30_000 });
    await page.waitForSelector('[data-state="Transfer Accepted"][data-current="true"]');
    const inTarget = await t.iot(HUMAN).send(new DescribeCertificateCommand({ certificateId: toAccept.certificateId }));
    expect(inTarget.certificateDescription).toMatchObject({ status: 'ACTIVE', ownedBy: HUMAN, previousOwnedBy: SOURCE });
    expect(problems).toEqual([]);
  });
});
