'use strict';
/*
 * A Lambda runtime client for the bundle smoke tests, run by Node.js 24 under the Runtime Interface Emulator
 * (which starts it and gives it AWS_LAMBDA_RUNTIME_API). It loads the handler as the Node.js runtime does
 * (aws-lambda-nodejs-runtime-interface-client, UserFunction.js), for CommonJS bundles:
 *   - `_HANDLER` is `<module path>.<export path>`: the module file is <path>.js, .mjs or .cjs under
 *     LAMBDA_TASK_ROOT; failing that, a package of that name resolved from LAMBDA_TASK_ROOT;
 *   - `.js` is loaded with require(); the export path may be nested (`a.b`);
 *   - a failure to load is reported to /runtime/init/error as Runtime.ImportModuleError (module missing,
 *     or an error thrown while loading: a dependency missing from the bundle, a syntax error), a missing or
 *     non-function export as Runtime.HandlerNotFound, `..` in the handler as Runtime.MalformedHandlerName;
 *   - each invocation awaits handler(event, context) (Node.js 24 has no callback handlers) and posts the
 *     result, or the error as {errorType, errorMessage, stackTrace}.
 * Deliberately plain CommonJS with no dependency: it lives outside the task root, as /var/runtime does.
 */
const fs = require('node:fs');
const path = require('node:path');

const api = `http://${process.env.AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime`;
const taskRoot = process.env.LAMBDA_TASK_ROOT;

class RuntimeError extends Error {
  constructor(name, message, cause) {
    super(message);
    this.name = name;
    if (cause?.stack) this.stack = `${name}: ${message}\n${cause.stack}`;
  }
}

function errorBody(e) {
  const error = e instanceof Error ? e : new Error(String(e));
  return { errorType: error.name, errorMessage: error.message, stackTrace: String(error.stack ?? '').split('\n') };
}

async function post(url, body, errorType) {
  const headers = { 'content-type': 'application/json' };
  if (errorType) headers['Lambda-Runtime-Function-Error-Type'] = errorType;
  const res = await fetch(url, { method: 'POST', headers, body });
  if (!res.ok) throw new Error(`runtime API ${url} answered ${res.status}: ${await res.text()}`);
}

function loadHandler(handlerString) {
  if (!handlerString) throw new RuntimeError('Runtime.HandlerNotFound', 'no handler given (_HANDLER is empty)');
  if (handlerString.includes('..')) throw new RuntimeError('Runtime.MalformedHandlerName', `'${handlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`);
  const slash = handlerString.lastIndexOf('/') + 1;
  const moduleRoot = handlerString.slice(0, slash);
  const match = /^([^.]*)\.(.*)$/.exec(handlerString.slice(slash));
  if (!match) throw new RuntimeError('Runtime.MalformedHandlerName', 'Bad handler');
  const [, moduleName, exportPath] = match;
  const base = path.resolve(taskRoot, moduleRoot, moduleName);
  const file = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find((f) => fs.existsSync(f));
  let loaded;
  try {
    if (file?.endsWith('.mjs')) throw new RuntimeError('Runtime.ImportModuleError', `this runtime client loads CommonJS only, not ${file}`);
    loaded = require(file ?? require.resolve(moduleName, { paths: [path.resolve(taskRoot, moduleRoot), taskRoot] }));
  } catch (e) {
    if (e instanceof RuntimeError) throw e;
    if (e?.code === 'MODULE_NOT_FOUND' && !file && String(e.message).includes(`'${moduleName}'`)) {
      throw new RuntimeError('Runtime.ImportModuleError', `Error: Cannot find module '${moduleName}'`, e);
    }
    throw new RuntimeError('Runtime.ImportModuleError', `${e?.name ?? 'Error'}: ${e?.message ?? e}`, e);
  }
  const handler = exportPath.split('.').reduce((value, key) => (value == null ? undefined : value[key]), loaded);
  if (handler === undefined) throw new RuntimeError('Runtime.HandlerNotFound', `${handlerString} is undefined or not exported`);
  if (typeof handler !== 'function') throw new RuntimeError('Runtime.HandlerNotFound', `${handlerString} is not a function`);
  return handler;
}

function context(headers) {
  const deadline = Number(headers.get('lambda-runtime-deadline-ms'));
  const clientContext = headers.get('lambda-runtime-client-context');
  const identity = headers.get('lambda-runtime-cognito-identity');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers.get('lambda-runtime-invoked-function-arn'),
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers.get('lambda-runtime-aws-request-id'),
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: clientContext ? JSON.parse(clientContext) : undefined,
    identity: identity ? JSON.parse(identity) : undefined,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

async function main() {
  let handler;
  try {
    handler = loadHandler(process.env._HANDLER);
  } catch (e) {
    console.error(`${e.name}: ${e.message}`);
    await post(`${api}/init/error`, JSON.stringify(errorBody(e)), e.name);
    process.exit(1);
  }
  for (;;) {
    const next = await fetch(`${api}/invocation/next`);
    const id = next.headers.get('lambda-runtime-aws-request-id');
    const trace = next.headers.get('lambda-runtime-trace-id');
    if (trace) process.env._X_AMZN_TRACE_ID = trace;
    else delete process.env._X_AMZN_TRACE_ID;
    const event = JSON.parse(await next.text());
    try {
      const result = await handler(event, context(next.headers));
      await post(`${api}/invocation/${id}/response`, JSON.stringify(result === undefined ? null : result));
    } catch (e) {
      const body = errorBody(e);
      console.error(`Invoke Error ${JSON.stringify(body)}`);
      await post(`${api}/invocation/${id}/error`, JSON.stringify(body), body.errorType);
    }
  }
}

main().catch((e) => {
  console.error(`runtime client failed: ${e?.stack ?? e}`);
  process.exit(2);
});
