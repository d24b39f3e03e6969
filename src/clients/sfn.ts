import { SFNClient } from '@aws-sdk/client-sfn';

export const sfn = new SFNClient({ maxAttempts: 4 });
