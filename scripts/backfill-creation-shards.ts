// Moves transfers recorded before the byCreation index was sharded onto their shard keys:
// `TABLE_NAME=<table> npx tsx scripts/backfill-creation-shards.ts` with the stack's credentials.
import { backfillCreationShards } from '../src/migrate.js';

const result = await backfillCreationShards({ onProgress: (moved) => process.stderr.write(`\rmoved ${moved}`) });
process.stderr.write('\n');
console.log(JSON.stringify(result));
