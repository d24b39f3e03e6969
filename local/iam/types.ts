// IAM policy shapes and the caller identity the local cloud authorizes:
// a role's session (Lambda, Step Functions) or an account's root (humans, the AWS CLI).
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

export interface PolicyDocument {
  Version?: string;
  Statement: Statement[];
}

export type Principal = { kind: 'root'; account: string } | { kind: 'role'; account: string; roleArn: string; sessionName: string };

/** `arn:aws:sts::<account>:assumed-role/<role>/<session>` or `arn:aws:iam::<account>:root`, as AWS names the caller in errors. */
export function principalArn(p: Principal): string {
  if (p.kind === 'root') return `arn:aws:iam::${p.account}:root`;
  const roleName = p.roleArn.split('/').pop();
  return `arn:aws:sts::${p.account}:assumed-role/${roleName}/${p.sessionName}`;
}
