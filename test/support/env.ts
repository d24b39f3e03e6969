import { DEMO_ACCOUNTS } from '../../src/demo-accounts.js';

/** The environment every source-stack function gets, for tests outside the local cloud. */
export const SOURCE: string = DEMO_ACCOUNTS.source;
export const TARGET: string = DEMO_ACCOUNTS.autoAccept;
export const HUMAN_TARGET: string = DEMO_ACCOUNTS.human;
export const STRANGER: string = DEMO_ACCOUNTS.stranger;
/** The buses at stage `test`: the source stack's, and the one every target kit runs. */
export const SOURCE_BUS = 'certificate-transfer-test';
export const TARGET_BUS = 'certificate-transfer-target-test';
export const STATE_MACHINE_ARN = `arn:aws:states:us-east-1:${SOURCE}:stateMachine:certificate-transfer-test`;

export function setSourceEnv(extra: Record<string, string> = {}): void {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: SOURCE,
    AWS_SECRET_ACCESS_KEY: 'x',
    ACCOUNT_ID: SOURCE,
    TABLE_NAME: 'transfers-test',
    EVENT_BUS_NAME: SOURCE_BUS,
    PEER_BUS_NAME: TARGET_BUS,
    ALLOWED_TARGET_ACCOUNTS: `${TARGET},${HUMAN_TARGET}`,
    STATE_MACHINE_ARN,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...extra,
  });
}
