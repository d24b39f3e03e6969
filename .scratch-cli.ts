import { execFileSync, spawnSync } from 'node:child_process';
import { startTestCloud, makeDeviceCertificate } from './test/support/cloud.ts';
const t = await startTestCloud();
try {
  const port = new URL(t.cloud.apiUrl).port;
  const env = { PATH: process.env.PATH, LOCAL_API_PORT: port };
  const certs = await Promise.all([1, 2, 3].map(() => makeDeviceCertificate(t.iot('111111111111'))));
  const run = (args: string[], input = '') => { const r = spawnSync(process.execPath, ['bin/cert-transfer.mjs', ...args, '--local', '--interval', '200ms'], { env, input, encoding: 'utf8' }); console.log(`$ cert-transfer ${args.join(' ')}  [exit ${r.status}]\n${r.stdout}${r.stderr ? `--- stderr\n${r.stderr}` : ''}`); return r; };
  const s = run(['start', certs[0].certificateId, '--to', '222222222222', '--wait']);
  const id = s.stdout.split('\n')[0].split(' ')[1].replace(':', '');
  run(['status', id]);
  run(['list']);
  run(['batch', '--to', '222222222222', '-'], `${certs[1].certificateId}\n${certs[2].certificateId}\n${'ab'.repeat(32)}\n`);
  run(['start', certs[1].certificateId, '--to', '444444444444']);
} finally { await t.stop(); }
