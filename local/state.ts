import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BucketPurpose } from '../lib/naming';

/**
 * The local platform's state folder (`--state`, MEDALLION_STATE, default `./.medallion`):
 * - `platform.json` while a platform runs: who runs it and where it answers (a lock too: one platform per folder);
 * - `data/` the data saved when it stopped (see local/persist.ts), restored by the next one;
 * - `platform.log` the output of a platform started in the background by `local up`.
 */
export interface StateFolder {
  readonly dir: string;
  readonly file: string;
  readonly dataDir: string;
  readonly log: string;
}

export function stateFolder(dir: string): StateFolder {
  const abs = resolve(dir);
  return { dir: abs, file: join(abs, 'platform.json'), dataDir: join(abs, 'data'), log: join(abs, 'platform.log') };
}

/** What `platform.json` says about the running platform. */
export interface PlatformState {
  readonly pid: number;
  /** The command running it: `serve` (in the foreground or started by `up`) serves the API; `run` does not. */
  readonly command: 'serve' | 'run';
  readonly startedAt: string;
  readonly stage: string;
  readonly contracts: string;
  readonly sql: string;
  readonly config: string | null;
  readonly emulator: { readonly endpoint: string; readonly kind: string };
  /** Base URL of the HTTP API; null for `run`. */
  readonly api: string | null;
  /** The local Athena's endpoint; null for `run`. */
  readonly athena: string | null;
  readonly buckets: Readonly<Record<BucketPurpose, string>>;
}

export type StateReading = { readonly status: 'running'; readonly state: PlatformState } | { readonly status: 'stale'; readonly state: PlatformState } | { readonly status: 'none' };

/** Whether a process lives (an exited one its parent has not reaped yet — a zombie — does not). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists, run by another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // Linux: `pid (name) state …`; the name may hold spaces and parentheses, the state follows the last `)`.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** The platform of a state folder: running (its process lives), stale (it died without cleaning up) or none. */
export function readState(folder: StateFolder): StateReading {
  if (!existsSync(folder.file)) return { status: 'none' };
  let state: PlatformState;
  try {
    state = JSON.parse(readFileSync(folder.file, 'utf8')) as PlatformState;
  } catch {
    // Written in one call: unreadable means it was being written or is damaged; neither names a live process.
    return { status: 'none' };
  }
  return alive(state.pid) ? { status: 'running', state } : { status: 'stale', state };
}

export function writeState(folder: StateFolder, state: PlatformState): void {
  mkdirSync(folder.dir, { recursive: true });
  writeFileSync(folder.file, `${JSON.stringify(state, null, 2)}\n`);
}

/** Removes `platform.json` when it is this process's (a stale one of a dead process too). */
export function clearState(folder: StateFolder, pid = process.pid): void {
  const reading = readState(folder);
  if (reading.status === 'stale' || (reading.status === 'running' && reading.state.pid === pid)) rmSync(folder.file, { force: true });
}

/** How a command names a platform for the user: `the local platform (pid 123, started by serve at …)`. */
export function describe(state: PlatformState): string {
  return `the local platform (pid ${state.pid}, ${state.command === 'serve' ? 'serving' : 'running `run`'}, stage ${state.stage}, since ${state.startedAt})`;
}
