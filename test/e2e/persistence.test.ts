import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DescribeCertificateCommand, ListAttachedPoliciesCommand } from '@aws-sdk/client-iot';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { makeDeviceCertificate, startTestCloud, until } from '../support/cloud.js';

describe('--data-dir', () => {
  it('keeps certificates, transfers and executions across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'local-cloud-data-'));
    const first = await startTestCloud({ dataDir });
    let certificateId: string;
    let transferId: string;
    let executionArn: string;
    let kept: Awaited<ReturnType<typeof makeDeviceCertificate>>;
    try {
      const accepted = await makeDeviceCertificate(first.iot('111111111111'));
      certificateId = accepted.certificateId;
      const started = await first.api().startTransfer({ certificateId, targetAccount: '222222222222' });
      transferId = String(started.transferId);
      executionArn = String(started.executionArn);
      await until('accepted', async () => (await first.api().getTransfer(transferId)).status === 'ACCEPTED');
      await until('execution ended', async () => (await first.sfn().send(new DescribeExecutionCommand({ executionArn }))).status === 'SUCCEEDED');
      kept = await makeDeviceCertificate(first.iot('111111111111'), { policies: 2 });
    } finally {
      await first.stop();
    }

    const second = await startTestCloud({ dataDir });
    try {
      expect((await second.iot('222222222222').send(new DescribeCertificateCommand({ certificateId }))).certificateDescription).toMatchObject({ status: 'ACTIVE', ownedBy: '222222222222' });
      expect((await second.iot('111111111111').send(new ListAttachedPoliciesCommand({ target: kept.certificateArn }))).policies?.map((p) => p.policyName).sort()).toEqual(kept.policies.sort());
      expect(await second.api().getTransfer(transferId)).toMatchObject({ status: 'ACCEPTED', history: expect.any(Array) });
      expect((await second.sfn().send(new DescribeExecutionCommand({ executionArn }))).status).toBe('SUCCEEDED');
      // And it still works: the kept certificate moves too.
      const again = await second.api().startTransfer({ certificateId: kept.certificateId, targetAccount: '222222222222' });
      await until('accepted after restart', async () => (await second.api().getTransfer(String(again.transferId))).status === 'ACCEPTED');
    } finally {
      await second.stop();
    }
  }, 120_000);
});
