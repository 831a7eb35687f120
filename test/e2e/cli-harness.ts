import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The local CLI run as a user runs it, each command with the state folder it is given (local-lifetime and local-quickstart tests). */
export const ROOT = join(__dirname, '..', '..');
const CLI = ['--import', 'tsx', join(ROOT, 'local', 'cli.ts')];
export const scratch = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** The CLI run to its end with a state folder (and moto started by it, never an endpoint from the environment). */
export const cli = (state: string, ...args: string[]) =>
  spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, E2E_ENDPOINT: '', AWS_ENDPOINT_URL: '', MEDALLION_STATE: state } });

export interface Running {
  readonly child: ChildProcess;
  readonly out: () => string;
  readonly err: () => string;
  /** Resolves once stdout (or stderr) shows `pattern`; fails if the process ends first. */
  waitFor(pattern: RegExp, stream?: 'out' | 'err'): Promise<RegExpMatchArray>;
  readonly exited: Promise<number | null>;
}

/** The CLI started in the background. */
export function start(state: string, ...args: string[]): Running {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: { ...process.env, E2E_ENDPOINT: '', AWS_ENDPOINT_URL: '', MEDALLION_STATE: state } });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let ended = false;
  void exited.then(() => (ended = true));
  return {
    child,
    out: () => out,
    err: () => err,
    exited,
    async waitFor(pattern, stream = 'out') {
      for (let i = 0; i < 3000; i++) {
        const m = (stream === 'out' ? out : err).match(pattern);
        if (m) return m;
        if (ended) throw new Error(`the CLI ended before printing ${pattern}:\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`the CLI did not print ${pattern} within 300 s:\n${out}\n${err}`);
    },
  };
}

// The CLI's lifetime (state folder, up/down, the quickstart) does not depend on the emulator: its tests run once,
// in the moto run. The LocalStack run keeps what does depend on it: the save and restore test.
export const cliTest = process.env.LOCAL_EMULATOR === 'localstack' ? it.skip : it;

