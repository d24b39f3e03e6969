// One Lambda "instance": a worker thread with the function's own environment
// (process.env is per worker), running the bundled handler module.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');

const mod = require(workerData.bundle);
const handler = mod[workerData.handlerExport];
if (typeof handler !== 'function') throw new Error(`${workerData.bundle} exports no function ${workerData.handlerExport}`);

function serializeError(err) {
  if (err instanceof Error) {
    return { errorType: err.name || 'Error', errorMessage: err.message, trace: String(err.stack || '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: String(err), trace: [] };
}

parentPort.postMessage({ ready: true });

parentPort.on('message', async (msg) => {
  const deadline = Date.now() + msg.timeoutMs;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: workerData.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: workerData.functionArn,
    memoryLimitInMB: String(workerData.memorySize),
    awsRequestId: msg.requestId,
    logGroupName: `/aws/lambda/${workerData.functionName}`,
    logStreamName: `local/[$LATEST]${workerData.instanceId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const result = await handler(msg.event, context);
    parentPort.postMessage({ id: msg.id, ok: true, result: result === undefined ? null : result });
  } catch (err) {
    parentPort.postMessage({ id: msg.id, ok: false, error: serializeError(err) });
  }
});
