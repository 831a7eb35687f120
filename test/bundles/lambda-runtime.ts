import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '../../local/emulator';

const ROOT = join(__dirname, '..', '..');

/** The pinned tools of scripts/lambda-runtime.sh (downloaded once into the user's cache). */
export interface LambdaTools {
  readonly NODE_X64: string;
  readonly NODE_ARM64: string;
  readonly RIE: string;
  readonly QEMU_AARCH64: string;
  readonly ARM64_SYSROOT: string;
}

/** Runs scripts/lambda-runtime.sh (idempotent: downloads only what its cache lacks) and returns the tools' paths. */
export function lambdaTools(): LambdaTools {
  const out = spawnSync('bash', [join(ROOT, 'scripts', 'lambda-runtime.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (out.status !== 0) throw new Error(`scripts/lambda-runtime.sh failed (exit ${out.status}); see its output above`);
  const tools = Object.fromEntries(out.stdout.trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2))) as unknown as LambdaTools;
  for (const [name, path] of Object.entries(tools)) if (!existsSync(path)) throw new Error(`scripts/lambda-runtime.sh printed ${name}=${path}, which does not exist`);
  return tools;
}

/** The folders above `dir` that hold a node_modules: where Node would find modules the bundle does not ship. */
export function nodeModulesAbove(dir: string): string[] {
  const found: string[] = [];
  for (let d = dirname(dir); ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) found.push(join(d, 'node_modules'));
    if (dirname(d) === d) return found;
  }
}

const copies: string[] = [];

/** Removes the copies copyAsset made (after their functions have stopped). */
export function removeCopies(): void {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Copies an asset folder out of the repo into a fresh temporary folder (the task root), so that Node finds
 * only what the asset ships: run in place under cdk.out it would resolve modules from the repo's node_modules.
 * @throws Error when a node_modules folder above the temporary folder would still be visible to Node
 */
export function copyAsset(assetDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-'));
  copies.push(dir);
  const taskRoot = join(dir, 'task');
  cpSync(assetDir, taskRoot, { recursive: true });
  const visible = nodeModulesAbove(taskRoot);
  if (visible.length) throw new Error(`modules outside the copied asset would be visible to it: ${visible.join(', ')}`);
  return taskRoot;
}

/** What an invocation through the emulator returned: the HTTP status and the payload (parsed as JSON when it is JSON). */
export interface Invocation {
  readonly status: number;
  readonly payload: unknown;
  /** The payload is a Lambda error (`{errorType, errorMessage}`): the function threw or could not initialize. */
  readonly error?: { readonly errorType: string; readonly errorMessage: string };
}

export interface RunningLambda {
  /** The emulator's invoke URL (`POST` the event). */
  readonly url: string;
  readonly taskRoot: string;
  invoke(event: unknown): Promise<Invocation>;
  /** What the emulator and the function printed so far (START/END reports, logs, init errors). */
  output(): string;
  close(): Promise<void>;
}

export interface LambdaOptions {
  readonly tools: LambdaTools;
  /** The copied asset (see copyAsset): cwd and LAMBDA_TASK_ROOT. */
  readonly taskRoot: string;
  /** The handler string of the template, e.g. `index.handler`. */
  readonly handler: string;
  readonly functionName: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** The function's environment (the template's, resolved), plus endpoints and credentials. */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * Starts the AWS Lambda Runtime Interface Emulator on 127.0.0.1 with Node.js 24 running the runtime client
 * (runtime/bootstrap.cjs, copied beside the task root as /var/runtime is beside /var/task) on the copied
 * asset. The process gets exactly the environment Lambda sets (task root, function name, memory, timeout,
 * region, runtime) and `environment`; nothing of this process's environment leaks in (no NODE_PATH).
 */
export async function startLambda(options: LambdaOptions): Promise<RunningLambda> {
  const runtimeDir = join(dirname(options.taskRoot), 'runtime');
  cpSync(join(__dirname, 'runtime'), runtimeDir, { recursive: true });
  const [apiPort, invokePort] = [await freePort(), await freePort()];
  const env: Record<string, string> = {
    PATH: `${dirname(options.tools.NODE_X64)}:/usr/local/bin:/usr/bin:/bin`,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    LAMBDA_TASK_ROOT: options.taskRoot,
    LAMBDA_RUNTIME_DIR: runtimeDir,
    _HANDLER: options.handler,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: options.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMb),
    AWS_LAMBDA_FUNCTION_TIMEOUT: String(options.timeoutSeconds),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${options.functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'bundle-smoke-test',
    LOG_LEVEL: 'warn',
    ...options.environment,
  };
  const child = spawn(
    options.tools.RIE,
    ['--runtime-api-address', `127.0.0.1:${apiPort}`, '--runtime-interface-emulator-address', `127.0.0.1:${invokePort}`, options.tools.NODE_X64, join(runtimeDir, 'bootstrap.cjs'), options.handler],
    { cwd: options.taskRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${invokePort}/2015-03-31/functions/function/invocations`;
  await waitForPort(url, child, () => output);
  return {
    url,
    taskRoot: options.taskRoot,
    async invoke(event) {
      const res = await fetch(url, { method: 'POST', body: JSON.stringify(event) });
      const text = await res.text();
      let payload: unknown = text;
      try {
        payload = JSON.parse(text);
      } catch {
        // Not JSON: the emulator's own message (a timeout), kept as text.
      }
      const error = isLambdaError(payload) ? { errorType: payload.errorType, errorMessage: payload.errorMessage } : undefined;
      return { status: res.status, payload, ...(error ? { error } : {}) };
    },
    output: () => output,
    close: () => stop(child),
  };
}

function isLambdaError(payload: unknown): payload is { errorType: string; errorMessage: string } {
  return typeof payload === 'object' && payload !== null && typeof (payload as { errorType?: unknown }).errorType === 'string' && 'errorMessage' in payload;
}

async function waitForPort(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the runtime interface emulator exited with code ${child.exitCode}:\n${output()}`);
    try {
      // GET is not an invocation: the emulator answers without starting the function.
      await fetch(url, { method: 'GET' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`the runtime interface emulator did not listen on ${url} within 10 s:\n${output()}`);
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });
}

/** The DuckDB binding packages an asset ships (`@duckdb/node-bindings-<os>-<arch>`). */
export function duckdbBindings(taskRoot: string): string[] {
  const dir = join(taskRoot, 'node_modules', '@duckdb');
  return existsSync(dir) ? readdirSync(dir).filter((d) => d.startsWith('node-bindings-')).sort() : [];
}

/** Version of an installed package (its package.json). */
export function packageVersion(packageDir: string): string {
  return (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * Replaces the asset's linux-arm64 DuckDB binding with the repo's linux-x64 one of the same version, so that
 * the transform runs on this x64 machine; everything else in the asset is left as shipped.
 */
export function substituteX64Binding(taskRoot: string): void {
  const arm = join(taskRoot, 'node_modules', '@duckdb', 'node-bindings-linux-arm64');
  const x64 = join(ROOT, 'node_modules', '@duckdb', 'node-bindings-linux-x64');
  if (packageVersion(arm) !== packageVersion(x64)) throw new Error(`the asset ships DuckDB binding ${packageVersion(arm)}, the repo has ${packageVersion(x64)} for x64`);
  rmSync(arm, { recursive: true });
  cpSync(x64, join(taskRoot, 'node_modules', '@duckdb', 'node-bindings-linux-x64'), { recursive: true });
}
