import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

export interface Emulator {
  /** Base URL of the AWS-compatible endpoint, e.g. http://127.0.0.1:5123 */
  readonly endpoint: string;
  /** True when this process started it (and stops it on close). */
  readonly owned: boolean;
  close(): Promise<void>;
}

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

/** The project's virtualenv Python with moto installed (created by scripts/python-tools.sh on first use). */
function motoPython(): string {
  const python = join(ROOT, '.venv', 'bin', 'python');
  const check = existsSync(python) ? spawnSync(python, ['-c', 'import moto.server'], { stdio: 'ignore' }) : undefined;
  if (check?.status !== 0) {
    const setup = spawnSync('bash', [join(ROOT, 'scripts', 'python-tools.sh')], { stdio: 'inherit' });
    if (setup.status !== 0) throw new Error('could not install moto into .venv (scripts/python-tools.sh failed); is python3 with venv available?');
  }
  return python;
}

/**
 * Uses the emulator at `endpoint` (LocalStack, moto) when given, else starts moto server on a free
 * loopback port from the project virtualenv.
 */
export async function startEmulator(endpoint?: string): Promise<Emulator> {
  if (endpoint) {
    await waitForHttp(endpoint, 10_000);
    return { endpoint: endpoint.replace(/\/$/, ''), owned: false, close: async () => undefined };
  }
  const port = await freePort();
  const child = spawn(motoPython(), ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_PORT: String(port) },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/moto-api/`, 30_000, child);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${stderr}`);
  }
  return {
    endpoint: url,
    owned: true,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
