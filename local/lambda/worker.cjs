// One Lambda "instance" (execution environment): a worker thread with the function's own environment
// (process.env is per worker), running the bundled handler module, one invocation at a time.
'use strict';
const { createHash } = require('node:crypto');
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname } = require('node:path');
const vm = require('node:vm');
const { parentPort, workerData } = require('node:worker_threads');

/**
 * `require(bundle)`, with V8's code cache kept next to the bundle: a function scales to several
 * instances, and every local cloud start loads every bundle again, so compiling once saves about
 * 40% of each cold start. The cache is keyed by the bundle's content and rewritten when stale.
 */
function loadBundle(file) {
  const source = readFileSync(file, 'utf8');
  const key = Buffer.from(createHash('sha256').update(process.version).update(source).digest('hex').slice(0, 32));
  const cacheFile = `${file}.v8cache`;
  let cachedData;
  try {
    const cached = readFileSync(cacheFile);
    if (cached.subarray(0, key.length).equals(key)) cachedData = cached.subarray(key.length);
  } catch {
    // no cache yet
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const mod = { id: file, filename: file, exports: {}, loaded: false };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
  mod.loaded = true;
  if (!cachedData || script.cachedDataRejected) {
    try {
      const tmp = `${cacheFile}.${process.pid}.${workerData.instanceId}`;
      writeFileSync(tmp, Buffer.concat([key, script.createCachedData()]));
      renameSync(tmp, cacheFile); // atomic: other instances (and other clouds) read whole files only
    } catch {
      // a cache is an optimisation; a read-only build directory just goes without
    }
  }
  return mod.exports;
}

function serializeError(err) {
  if (err instanceof Error) {
    return { errorType: err.name || 'Error', errorMessage: err.message, trace: String(err.stack || '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: String(err), trace: [] };
}

// The invocation in progress: an uncaught error or an unhandled rejection fails it, as the Node.js
// runtime interface client does (it reports the error, then exits with 129 / 128 and the environment
// is replaced; here the parent terminates this worker on a `fatal` message).
let current;
function fatal(error) {
  parentPort.postMessage({ id: current, ok: false, fatal: true, error });
}
process.on('uncaughtException', (err) => fatal(serializeError(err)));
process.on('unhandledRejection', (reason) => {
  const stack = reason instanceof Error && reason.stack ? reason.stack : String(reason);
  fatal({ errorType: 'Runtime.UnhandledPromiseRejection', errorMessage: String(reason), trace: stack.split('\n') });
});

let handler;
try {
  handler = loadBundle(workerData.bundle)[workerData.handlerExport];
  if (typeof handler !== 'function') {
    const err = new Error(`${workerData.handlerName} is undefined or not exported`);
    err.name = 'Runtime.HandlerNotFound';
    throw err;
  }
} catch (err) {
  // Init error: reported to the invocation that caused the cold start, named as the Node.js
  // runtime names it (a syntax error or a missing module get their Runtime.* type, others their own).
  const wrapped = err instanceof SyntaxError ? 'Runtime.UserCodeSyntaxError' : err && err.code === 'MODULE_NOT_FOUND' ? 'Runtime.ImportModuleError' : undefined;
  const error = serializeError(err);
  parentPort.postMessage({ initError: wrapped ? { ...error, errorType: wrapped, errorMessage: String(err) } : error });
  handler = undefined;
}
if (handler) parentPort.postMessage({ ready: true });

parentPort.on('message', async (msg) => {
  if (!handler) return;
  current = msg.id;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: workerData.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: workerData.functionArn,
    memoryLimitInMB: String(workerData.memorySize),
    awsRequestId: msg.requestId,
    logGroupName: `/aws/lambda/${workerData.functionName}`,
    logStreamName: workerData.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, msg.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  let reply;
  try {
    const result = await handler(JSON.parse(msg.payload), context);
    // The response travels as JSON, as it does from the runtime API to the caller.
    reply = { id: msg.id, ok: true, payload: JSON.stringify(result === undefined ? null : result) };
  } catch (err) {
    reply = { id: msg.id, ok: false, error: serializeError(err) };
  }
  current = undefined;
  parentPort.postMessage(reply);
});
