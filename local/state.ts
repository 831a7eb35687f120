import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  /** When that process started (Linux: /proc/<pid>/stat, in clock ticks since boot): a pid reused by another process is not it. */
  readonly pidStart?: string;
  /** True from the moment the command takes the folder until its platform is up (no endpoints yet). */
  readonly starting?: boolean;
  /** The command running it: `serve` (in the foreground or started by `up`) serves the API; `run` does not. */
  readonly command: 'serve' | 'run';
  readonly startedAt: string;
  readonly stage: string;
  readonly contracts: string;
  readonly sql: string;
  readonly config: string | null;
  /** Where the emulator answers, and the processes started for it (killed by `down` when the platform is killed). */
  readonly emulator: { readonly endpoint: string; readonly kind: string; readonly pids: readonly { readonly pid: number; readonly start?: string }[] };
  /** Base URL of the HTTP API; null for `run`. */
  readonly api: string | null;
  /** The local Athena's endpoint; null for `run`. */
  readonly athena: string | null;
  readonly buckets: Readonly<Record<BucketPurpose, string>>;
}

export type StateReading = { readonly status: 'running'; readonly state: PlatformState } | { readonly status: 'stale'; readonly state: PlatformState } | { readonly status: 'none' };

/** The fields of /proc/<pid>/stat after the name (the name may hold spaces and parentheses), or undefined off Linux. */
function procStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** When a process started (field 22 of /proc/<pid>/stat), or undefined where that cannot be read. */
export function processStart(pid: number): string | undefined {
  return procStat(pid)?.[19];
}

/**
 * Whether a process lives (an exited one its parent has not reaped yet — a zombie — does not) and, given
 * its start time, is still the same process (pids are reused, and a state folder outlives reboots).
 */
export function alive(pid: number, start?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists, run by another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  const stat = procStat(pid);
  if (!stat) return true;
  return stat[0] !== 'Z' && (start === undefined || stat[19] === start);
}

/** The platform of a state folder: running (its process lives), stale (it died without cleaning up) or none. */
export function readState(folder: StateFolder): StateReading {
  if (!existsSync(folder.file)) return { status: 'none' };
  let state: PlatformState;
  try {
    state = JSON.parse(readFileSync(folder.file, 'utf8')) as PlatformState;
  } catch {
    // Written by rename, never in part: unreadable means damaged; it names no live process.
    return { status: 'none' };
  }
  if (typeof state !== 'object' || state === null || !Number.isInteger(state.pid)) return { status: 'none' };
  return alive(state.pid, state.pidStart) ? { status: 'running', state } : { status: 'stale', state };
}

/** Writes `platform.json` whole (beside it, then renamed over it): a reader never sees part of it. */
export function writeState(folder: StateFolder, state: PlatformState): void {
  mkdirSync(folder.dir, { recursive: true });
  const next = `${folder.file}.${process.pid}`;
  writeFileSync(next, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(next, folder.file);
}

/**
 * Takes the folder for this process before its platform starts: `platform.json` created only if absent
 * (`starting: true`, no endpoints yet), so that of two commands starting at once one gets it.
 * @returns undefined when taken, else the reading of who holds it
 */
export function claimState(folder: StateFolder, state: Omit<PlatformState, 'pid' | 'pidStart' | 'starting' | 'emulator' | 'api' | 'athena' | 'buckets'>): StateReading | undefined {
  mkdirSync(folder.dir, { recursive: true });
  const claim: PlatformState = { ...state, pid: process.pid, pidStart: processStart(process.pid), starting: true, emulator: { endpoint: '', kind: '', pids: [] }, api: null, athena: null, buckets: {} as PlatformState['buckets'] };
  try {
    writeFileSync(folder.file, `${JSON.stringify(claim, null, 2)}\n`, { flag: 'wx' });
    return undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return readState(folder);
  }
}

/** Removes `platform.json` when it is this process's (a stale one of a dead process too). */
export function clearState(folder: StateFolder, pid = process.pid): void {
  const reading = readState(folder);
  if (reading.status !== 'running' || reading.state.pid === pid) rmSync(folder.file, { force: true });
}

/** How a command names a platform for the user: `the local platform (pid 123, started by serve at …)`. */
export function describe(state: PlatformState): string {
  const doing = state.starting ? 'starting' : state.command === 'serve' ? 'serving' : 'running `run`';
  return `the local platform (pid ${state.pid}, ${doing}, stage ${state.stage}, since ${state.startedAt})`;
}
