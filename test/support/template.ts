import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** The source stack's serverless.yml as data (its CloudFormation resources are what tests need). */
export function sourceStack(): { resources: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> } } {
  return parse(readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8'), { maxAliasCount: -1 }) as never;
}
