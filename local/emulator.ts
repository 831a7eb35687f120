import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forwardRequest, listenOnLoopback } from './http-forward';
import { packageRoot } from '../lib/runtime/function-code';
import { killWithProcess } from './signals';

const ROOT = packageRoot();

/** The AWS emulators the local platform and the end-to-end tests run against. */
export type EmulatorKind = 'moto' | 'localstack';

export interface Emulator {
  /** Base URL of the AWS-compatible endpoint, e.g. http://127.0.0.1:5123 */
  readonly endpoint: string;
  /** Which emulator answers there (for an endpoint given from outside: LocalStack if it answers its health check). */
  readonly kind: EmulatorKind;
  /** For a LocalStack started here: LocalStack's own URL and the moto server that serves MOTO_SERVED_SERVICES. */
  readonly upstreams?: { readonly localstack: string; readonly moto: string };
  /** True when this process started it (and stops it on close). */
  readonly owned: boolean;
  /**
   * Settles with how it ended when an emulator this process started exits before `close` (killed, crashed);
   * never settles for one given from outside or one closed.
   */
  readonly exited: Promise<string>;
  /** Processes this process started for it (none for one given from outside): what to kill if it is abandoned. */
  readonly pids: readonly number[];
  close(): Promise<void>;
}

/** How a child process ended, for the user: `exit code 1` or `killed by SIGKILL`. */
export function ending(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `killed by ${signal}` : `exit code ${code}`;
}

/** Settles when `child` exits unless `closing()` says the exit was asked for. */
function unexpectedExit(child: ChildProcess, name: string, closing: () => boolean): Promise<string> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      if (!closing()) resolve(`${name} (pid ${child.pid}) ended with ${ending(code, signal)}`);
    });
  });
}

const NEVER = new Promise<string>(() => undefined);

/** A free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForHttp(url: string, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`the emulator exited with code ${child.exitCode} before answering on ${url}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
      lastError = `HTTP ${res.status}`;
    } catch (e) {
      lastError = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the emulator did not answer on ${url} within ${timeoutMs} ms (${lastError})`);
}

/**
 * The Python of a virtualenv kept by scripts/venv.sh in the machine's cache (installed on first use), asked
 * for without the project link: the package may run from a folder that is not the user's to change.
 */
function cachedVenvPython(script: 'local-venv.sh' | 'localstack.sh', what: string): string {
  const setup = spawnSync('bash', [join(ROOT, 'scripts', script)], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', env: { ...process.env, MEDALLION_VENV_NO_LINK: '1' } });
  const venv = setup.stdout?.trim().split('\n').pop();
  if (setup.status !== 0 || !venv) throw new Error(`could not install ${what} (scripts/${script} failed; see its output above); is python3 with venv available?`);
  return join(venv, 'bin', 'python');
}

/** The Python with the pinned moto server (requirements-local.txt). */
const motoPython = () => cachedVenvPython('local-venv.sh', 'moto');

/** Services LocalStack is started with: what the local platform and the end-to-end tests use. */
export const LOCALSTACK_SERVICES = ['s3', 'sqs', 'sns', 'secretsmanager'] as const;

/**
 * Services the platform uses that LocalStack Community does not emulate (it answers 501): under LocalStack
 * their calls go to a moto server alongside, chosen by the service name the request is signed for.
 */
export const MOTO_SERVED_SERVICES = ['glue', 'athena'] as const;

/** LocalStack answers `/_localstack/health` with its services; moto answers that path as an S3 key. */
export async function isLocalStack(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint.replace(/\/$/, '')}/_localstack/health`);
    return res.ok && typeof ((await res.json()) as { services?: unknown }).services === 'object';
  } catch {
    return false;
  }
}

/** The emulator kind to start when none is running: `LOCAL_EMULATOR=localstack`, else moto. */
export function defaultEmulatorKind(): EmulatorKind {
  const kind = process.env.LOCAL_EMULATOR ?? 'moto';
  if (kind !== 'moto' && kind !== 'localstack') throw new Error(`LOCAL_EMULATOR='${kind}' is not an emulator this project starts; use moto (the default) or localstack`);
  return kind;
}

/**
 * Uses the emulator at `endpoint` (LocalStack, moto) when given, else starts one on a free loopback port:
 * moto server, or LocalStack in host mode, each from its pinned virtualenv in the machine cache.
 */
export async function startEmulator(endpoint?: string, kind: EmulatorKind = defaultEmulatorKind()): Promise<Emulator> {
  if (endpoint) {
    await waitForHttp(endpoint, 10_000);
    const url = endpoint.replace(/\/$/, '');
    return { endpoint: url, kind: (await isLocalStack(url)) ? 'localstack' : 'moto', owned: false, exited: NEVER, pids: [], close: async () => undefined };
  }
  return kind === 'localstack' ? startLocalStack() : startMoto();
}

function stopper(child: ChildProcess, graceMs: number, after: () => void = () => undefined): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      const done = () => {
        after();
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', done);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
    });
}

async function startMoto(): Promise<Emulator> {
  const port = await freePort();
  const child = killWithProcess(spawn(motoPython(), ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_PORT: String(port) },
  }));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/moto-api/`, 30_000, child);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${stderr}`);
  }
  let closing = false;
  const stop = stopper(child, 3000);
  return {
    endpoint: url,
    kind: 'moto',
    owned: true,
    exited: unexpectedExit(child, 'the moto server', () => closing),
    pids: [child.pid!],
    close: () => {
      closing = true;
      return stop();
    },
  };
}

/** The Python with the pinned LocalStack (requirements-localstack.txt). */
const localStackPython = () => cachedVenvPython('localstack.sh', 'LocalStack');

/** The service a SigV4 request is signed for (`Credential=<key>/<date>/<region>/<service>/aws4_request`). */
function signingService(req: IncomingMessage): string | undefined {
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(req.headers.authorization ?? '')?.[1];
}

/**
 * An HTTP router on 127.0.0.1:`port`: calls signed for MOTO_SERVED_SERVICES go to `moto`, everything else
 * (and LocalStack's own `/_localstack/…` endpoints) to `localstack`. Bodies are streamed both ways.
 */
async function startRouter(port: number, localstack: string, moto: string): Promise<() => Promise<void>> {
  const server = createHttpServer((req, res) => {
    const service = signingService(req);
    forwardRequest(req, res, new URL(service && (MOTO_SERVED_SERVICES as readonly string[]).includes(service) ? moto : localstack), 'emulator router');
  });
  return (await listenOnLoopback(server, port)).close;
}

/**
 * Starts LocalStack in host mode (no Docker) offline, with its state in a fresh temporary folder (removed on
 * close), waits until every service of LOCALSTACK_SERVICES runs, and puts a router in front of it that
 * sends Glue and Athena calls to a moto server started alongside (LocalStack Community has neither).
 */
async function startLocalStack(): Promise<Emulator> {
  const python = localStackPython();
  const [port, routerPort] = [await freePort(), await freePort()];
  const state = mkdtempSync(join(tmpdir(), 'localstack-'));
  const url = `http://127.0.0.1:${port}`;
  const endpoint = `http://127.0.0.1:${routerPort}`;
  const child = killWithProcess(spawn(python, ['-m', 'localstack.runtime.main'], {
    detached: true,
    cwd: state,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      // Loopback only; the URLs LocalStack hands out (queue URLs) point at the router.
      GATEWAY_LISTEN: `127.0.0.1:${port}`,
      LOCALSTACK_HOST: `127.0.0.1:${routerPort}`,
      SERVICES: LOCALSTACK_SERVICES.join(','),
      EAGER_SERVICE_LOADING: '1',
      // Queue URLs http://<host>/<account>/<queue> as moto's; the default puts them under
      // localhost.localstack.cloud, which needs public DNS.
      SQS_ENDPOINT_STRATEGY: 'off',
      // No DNS server on port 53, no certificate download, no analytics: nothing leaves the machine.
      DNS_ADDRESS: '0',
      SKIP_SSL_CERT_DOWNLOAD: '1',
      DISABLE_EVENTS: '1',
      PERSISTENCE: '0',
      FILESYSTEM_ROOT: join(state, 'filesystem'),
    },
  }));
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString()).slice(-6000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stopLocalStack = stopper(child, 10_000, () => rmSync(state, { recursive: true, force: true }));
  let moto: Emulator | undefined;
  let stopRouter: (() => Promise<void>) | undefined;
  let closing = false;
  const localStackExited = unexpectedExit(child, 'LocalStack', () => closing);
  const close = async () => {
    closing = true;
    await stopRouter?.();
    await Promise.all([stopLocalStack(), moto?.close()]);
  };
  try {
    [moto] = await Promise.all([
      startMoto(),
      waitForLocalStack(url, 120_000, child).catch((e: Error) => Promise.reject(new Error(`${e.message}\nLocalStack's output:\n${output}`))),
    ]);
    stopRouter = await startRouter(routerPort, url, moto.endpoint);
  } catch (e) {
    await close();
    throw e;
  }
  process.stderr.write(`emulator: LocalStack on ${endpoint}; LocalStack Community has no ${MOTO_SERVED_SERVICES.join(' or ')}: those calls go to moto\n`);
  return { endpoint, kind: 'localstack', owned: true, upstreams: { localstack: url, moto: moto.endpoint }, exited: Promise.race([localStackExited, moto.exited]), pids: [child.pid!, ...moto.pids], close };
}

async function waitForLocalStack(url: string, timeoutMs: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`LocalStack exited with code ${child.exitCode} before its services were running on ${url}`);
    try {
      const health = (await (await fetch(`${url}/_localstack/health`)).json()) as { services?: Record<string, string> };
      last = LOCALSTACK_SERVICES.map((s) => `${s}: ${health.services?.[s] ?? 'missing'}`).join(', ');
      if (LOCALSTACK_SERVICES.every((s) => health.services?.[s] === 'running')) return;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`LocalStack's services were not running on ${url} within ${timeoutMs} ms (${last})`);
}
