// `cert-transfer repair <transferId>` and how the CLI shows RESTORE_FAILED, against a scripted API.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/api-client.js';
import { cli } from '../../support/cli.js';
import { outcomeLine, progressBar } from '../../../src/cli/output.js';

const TID = '0b6f2c1e-4d2a-4c55-9a1e-6f1f2b3c4d5e';
type Json = Record<string, unknown>;

/** The CLI against an API that answers only POST /transfers/{id}/restore; `ids` are the transfers it was asked to repair. */
async function repair(argv: string[], repairTransfer: (id: string) => Promise<Json>) {
  const run = await cli(argv, { repairTransfer });
  return { ...run, ids: run.calls.map((c) => c.args[0]) };
}

const notWhole = new ApiError(502, {
  error: 'RestoreIncomplete',
  message: 'The certificate is still not whole: 1 item(s) could not be restored',
  currentStatus: 'RESTORE_FAILED',
  restore: { status: 'FAILED', reattachedPolicies: ['P1'], notRestored: [{ kind: 'status', name: 'ACTIVE', result: 'FAILED', error: 'ServiceUnavailableException: down' }] },
});

describe('cert-transfer repair', () => {
  it('repairs through POST /transfers/{id}/restore and prints the new status and restore result (exit 0)', async () => {
    const run = await repair(['repair', TID, '--local'], async () => ({
      transferId: TID,
      status: 'CANCELLED',
      restore: { status: 'PARTIAL', reattachedPolicies: ['P1'], reactivated: true, notRestored: [{ kind: 'thing', name: 'sensor-1', result: 'GONE', error: 'ResourceNotFoundException' }] },
    }));
    expect(run.ids).toEqual([TID]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Transfer ${TID} repaired: now CANCELLED, restore PARTIAL (policies P1; re-activated; not restored: thing sensor-1 gone)`);
    expect(run.stdout).toContain('released');
  });

  it('still not whole: prints what is missing, then the API error with the current status (exit 3)', async () => {
    const run = await repair(['repair', TID, '--local'], async () => {
      throw notWhole;
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('restore FAILED (policies P1; not restored: status ACTIVE failed');
    expect(run.stderr).toContain('HTTP 502 RestoreIncomplete; current status RESTORE_FAILED');
  });

  it('--json prints the API body as it is', async () => {
    const run = await repair(['repair', TID, '--local', '--json'], async () => {
      throw notWhole;
    });
    expect(JSON.parse(run.stdout)).toMatchObject({ error: 'RestoreIncomplete', restore: { status: 'FAILED' } });
  });

  it('refuses a malformed id before calling the API (exit 2)', async () => {
    const run = await repair(['repair', 'nope', '--local'], async () => ({}));
    expect(run.code).toBe(2);
    expect(run.ids).toEqual([]);
    expect(run.stderr).toContain('<transferId> must be an id');
  });
});

describe('RESTORE_FAILED in the CLI output', () => {
  it('the outcome line tells the operator to repair', () => {
    expect(outcomeLine({ transferId: TID, status: 'RESTORE_FAILED', reason: 'Cancelled by an operator', restore: { status: 'FAILED', error: 'boom' } })).toBe(
      `Outcome: RESTORE_FAILED (Cancelled by an operator; restore FAILED (error: boom))\nThe certificate is not whole and keeps its lock: fix the cause, then cert-transfer repair ${TID}`,
    );
  });

  it('a batch counts RESTORE_FAILED as not accepted', () => {
    expect(progressBar({ total: 2, done: 2, counts: { ACCEPTED: 1, RESTORE_FAILED: 1 } }, 4)).toBe('[####] 2/2  accepted 1 · not accepted 1');
  });
});
