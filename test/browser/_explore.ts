import { makeDeviceCertificate, startTestCloud, until } from '/work/main/test/support/cloud.js';
const t = await startTestCloud();
try {
  const cert = await makeDeviceCertificate(t.iot('111111111111'), { policies: 1, things: 1 });
  const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: '333333333333' });
  const id = String(started.transferId);
  await until('awaiting', async () => (await t.api().getTransfer(id)).status === 'AWAITING_DECISION');
  const ex = t.cloud.sfn.getExecution(String(started.executionArn))!;
  console.log('ACTIVE', ex.activeStates);
  await t.api().cancelTransfer(id, 'oops');
  await until('end', async () => ['CANCELLED'].includes(String((await t.api().getTransfer(id)).status)));
  await t.cloud.sfn.waitForExecution(String(started.executionArn));
  const ex2 = t.cloud.sfn.getExecution(String(started.executionArn))!;
  for (const e of ex2.history) console.log(JSON.stringify(e).slice(0, 400));
  console.log(JSON.stringify(t.cloud.events.recentEvents().slice(-3), null, 1).slice(0, 3000));
  console.log(JSON.stringify(t.cloud.sns.messages, null, 1).slice(0, 1500));
  console.log(JSON.stringify(t.cloud.iot.findCertificate(cert.certificateId), null, 1));
  console.log(Object.keys(t.cloud.stacks[0].resources), t.cloud.stacks[0].resources.TransferTable);
  console.log(t.cloud.stacks[0].functions);
} finally { await t.stop(); }
