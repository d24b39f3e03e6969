import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const ddb = /* @__PURE__ */ DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 6 }), {
  marshallOptions: { removeUndefinedValues: true },
});
