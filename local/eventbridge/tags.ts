/**
 * Tags on buses and rules: TagResource, UntagResource and ListTagsForResource (tags given to
 * CreateEventBus and PutRule are stored by those operations).
 */
import { notFound } from './errors.js';
import { requiredString, tagMap } from './params.js';
import type { Store, Stores } from './stores.js';
import type { CallContext } from './types.js';

function taggable(stores: Stores, ctx: CallContext, arn: string): Store {
  const s = stores.store(ctx.account, ctx.region);
  const exists = [...s.buses.values()].some((b) => b.arn === arn) || [...s.rules.values()].some((m) => [...m.values()].some((r) => r.arn === arn));
  if (!exists) throw notFound(`Resource ${arn} does not exist.`);
  return s;
}

export function tagResource(stores: Stores, ctx: CallContext, input: { ResourceARN?: unknown; Tags?: unknown }): Record<string, never> {
  const arn = requiredString(input.ResourceARN, 'ResourceARN');
  const s = taggable(stores, ctx, arn);
  s.tags.set(arn, { ...s.tags.get(arn), ...tagMap(input.Tags) });
  return {};
}

export function untagResource(stores: Stores, ctx: CallContext, input: { ResourceARN?: unknown; TagKeys?: unknown }): Record<string, never> {
  const arn = requiredString(input.ResourceARN, 'ResourceARN');
  const s = taggable(stores, ctx, arn);
  const tags = { ...s.tags.get(arn) };
  for (const k of Array.isArray(input.TagKeys) ? input.TagKeys : []) delete tags[String(k)];
  s.tags.set(arn, tags);
  return {};
}

export function listTagsForResource(stores: Stores, ctx: CallContext, input: { ResourceARN?: unknown }): { Tags: Array<{ Key: string; Value: string }> } {
  const arn = requiredString(input.ResourceARN, 'ResourceARN');
  const s = taggable(stores, ctx, arn);
  return { Tags: Object.entries(s.tags.get(arn) ?? {}).map(([Key, Value]) => ({ Key, Value })) };
}
