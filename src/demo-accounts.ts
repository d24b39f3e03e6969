// The accounts of the local cloud and the tests: one source for local/, test/support and the CLI's --local.
// They are examples, never defaults of a deploy (a deploy names the accounts it trusts).

/** The local cloud's accounts: the source (the service), two target kits and an account on no allow-list. */
export const DEMO_ACCOUNTS = {
  source: '111111111111',
  /** Target kit that accepts on its own (`acceptancePolicy: auto-accept`, `setAsActive`). */
  autoAccept: '222222222222',
  /** Target kit that only notifies: a person decides. */
  human: '333333333333',
  /** On no allow-list. */
  stranger: '444444444444',
} as const;
