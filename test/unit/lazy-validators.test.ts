// Schemas compile on first use, not at import: a function's cold start compiles only what it checks.
import { Ajv } from 'ajv';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setSourceEnv, TARGET } from '../support/env.js';
import { certId } from '../support/certs.js';
import { once } from '../../src/once.js';

setSourceEnv();
afterEach(() => vi.restoreAllMocks());

describe('once', () => {
  it('makes its value on the first call only, and keeps an undefined value too', () => {
    const make = vi.fn(() => undefined);
    const get = once(make);
    expect(make).not.toHaveBeenCalled();
    expect(get()).toBeUndefined();
    expect(get()).toBeUndefined();
    expect(make).toHaveBeenCalledTimes(1);
  });
});

describe('request validators', () => {
  it('compile nothing at import, then one schema at the first request of its kind, and none after', async () => {
    vi.resetModules();
    const compile = vi.spyOn(Ajv.prototype, 'compile');
    const validation = await import('../../src/validation.js');
    await import('../../src/decisions/decision-event.js');
    expect(compile).not.toHaveBeenCalled();

    const request = { certificateId: certId(), targetAccount: TARGET };
    expect(validation.validateTransferRequest(request).certificateId).toBe(request.certificateId);
    expect(compile).toHaveBeenCalledTimes(1);
    expect(() => validation.validateTransferRequest({ ...request, targetAccount: 'nope' })).toThrow(/targetAccount/);
    expect(compile).toHaveBeenCalledTimes(1);
  });
});
