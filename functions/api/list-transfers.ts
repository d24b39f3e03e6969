import { ValidationError } from '../../src/errors.js';
import { httpHandler, json } from '../../src/http.js';
import { listTransfers, pageTokenFits } from '../../src/listing.js';
import { transferSummary } from '../../src/transfer/view.js';
import { validateListQuery } from '../../src/validation.js';

/** GET /transfers?status=&certificateId=&targetAccount=&batchId=&limit=&nextToken=: newest first, a page at a time. */
export const handler = httpHandler('list-transfers', async (event) => {
  const query = validateListQuery(event.queryStringParameters);
  if (!pageTokenFits(query)) throw new ValidationError('nextToken', 'nextToken must be the nextToken of a previous page, with the same filters');
  const page = await listTransfers(query);
  return json(200, { items: page.items.map(transferSummary), ...(page.nextToken ? { nextToken: page.nextToken } : {}) });
});
