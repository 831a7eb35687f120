import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { relative } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { localProject } from './project';
import { ending } from './emulator';
import { clientConfig, startLocalPlatform, type LocalPlatform } from './platform';
import { listKeys, readSavedData, SAVED_BUCKETS } from './persist';
import { alive, claimState, clearState, describe, processStart, readState, writeState, type PlatformState, type StateFolder } from './state';

/** Where a path is, for messages: relative to the current folder when inside it. */
export function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** The project a command runs (checked as synth checks it), as `platform.json` records it. */
export function projectIdentity(): Pick<PlatformState, 'stage' | 'contracts' | 'sql' | 'config'> {
  const project = localProject();
  return { stage: project.config.stage, contracts: project.contractsDir, sql: project.sqlDir, config: project.configFile ?? null };
}

/** Fails when the running platform was started on another project or stage than this command's. */
export function checkSameProject(state: PlatformState): void {
  const mine = projectIdentity();
  const differ = (['stage', 'contracts', 'sql', 'config'] as const).filter((k) => state[k] !== mine[k]);
  if (differ.length === 0) return;
  throw new Error(
    `${describe(state)} runs ${differ.map((k) => `${k} ${state[k] ?? '(built-in)'}`).join(', ')}; this command has ${differ.map((k) => `${k} ${mine[k] ?? '(built-in)'}`).join(', ')}. ` +
      `Stop it (\`local down\`), or give this command another state folder (--state <dir>) to run a second platform beside it`,
  );
}

/** A platform a command uses: one running already (`attached`), or one it started and stops. */
export interface Lease {
  readonly platform: LocalPlatform;
  /** The platform runs in another process (`local up`, `serve`): it runs the transform; this command only uses it. */
  readonly attached?: PlatformState;
  /**
   * Stops what this command started and frees the state folder, saving the data first when the emulator is
   * its own and `save` is not false (an emulator that died has nothing left to save). @returns the objects saved, if saved
   */
  release(options?: { readonly save?: boolean }): Promise<number | undefined>;
}

/**
 * The platform `run` or `serve` works on: for `run`, the one running for the state folder when it serves
 * (same project); else a new one, started with the data saved in the folder, recorded in `platform.json`
 * while it runs (see `register`). A `run` in progress holds the folder: a second command is refused, saying what to do.
 */
export async function leasePlatform(folder: StateFolder, command: 'run' | 'serve', endpoint: string | undefined): Promise<Lease> {
  const reading = readState(folder);
  if (reading.status === 'running') {
    refuseUnlessServing(reading.state, folder);
    if (command === 'run') {
      checkSameProject(reading.state);
      const platform = await startLocalPlatform({ endpoint: reading.state.emulator.endpoint });
      return { platform, attached: reading.state, release: async () => (await platform.close(), undefined) };
    }
  }
  if (reading.status === 'stale') reportStale(reading.state, folder);
  // Taken before anything starts: of two commands starting at once, the second is refused.
  clearState(folder);
  const held = claimState(folder, { command, startedAt: new Date().toISOString(), ...projectIdentity() });
  if (held) {
    if (held.status === 'running') refuseUnlessServing(held.state, folder);
    throw new Error(`could not take ${shown(folder.dir)}: another command changed its platform.json meanwhile; run again`);
  }
  // The data is saved and restored only with an emulator of our own: one from outside keeps its own state.
  const external = endpoint ?? process.env.AWS_ENDPOINT_URL;
  let platform: LocalPlatform;
  try {
    platform = await startLocalPlatform({ endpoint: external, dataDir: external ? undefined : folder.dataDir });
  } catch (e) {
    clearState(folder);
    throw e;
  }
  let released = false;
  return {
    platform,
    release: async ({ save = true } = {}) => {
      if (released) return undefined;
      released = true;
      try {
        return save && platform.emulator.owned ? await platform.save(folder.dataDir) : undefined;
      } finally {
        clearState(folder);
        await platform.close();
      }
    },
  };
}

/** Fails unless `state` is a platform serving (up): a `run` in progress, or one still starting, holds the folder. */
function refuseUnlessServing(state: PlatformState, folder: StateFolder): void {
  if (state.starting) throw new Error(`${describe(state)} is taking ${shown(folder.dir)}; wait until it is up (\`local status\`), or pass --state <dir> to run another platform beside it`);
  if (state.command === 'run') throw new Error(`${describe(state)} holds ${shown(folder.dir)}; wait until it ends, or pass --state <dir> to run another platform beside it`);
}

/** Says that the folder's platform died without stopping (what it did since its start is lost) and kills what it left. */
export function reportStale(state: PlatformState, folder: StateFolder): void {
  process.stderr.write(`note: ${describe(state)} ended without stopping cleanly (killed or crashed); what it did since its start was not saved (log: ${shown(folder.log)})\n`);
  forgetStale(state, folder);
}

/** Drops the record of a platform that died without stopping, and kills the emulator processes it left. */
export function forgetStale(state: PlatformState, folder: StateFolder): void {
  killLeftovers(state);
  clearState(folder);
}

/** Kills the emulator processes a killed platform left behind (those still alive with their recorded pid). */
function killLeftovers(state: PlatformState): void {
  // Only a process with the recorded start time: after a reboot the pid may be another's.
  for (const { pid, start } of state.emulator?.pids ?? []) {
    if (start !== undefined && alive(pid, start)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Ended meanwhile.
      }
    }
  }
}

/** Records a platform this process runs in `platform.json` (replacing the claim it took). */
export function register(folder: StateFolder, platform: LocalPlatform, command: 'run' | 'serve', api?: { url: string; athena: string }): void {
  writeState(folder, {
    pid: process.pid,
    pidStart: processStart(process.pid),
    command,
    startedAt: new Date().toISOString(),
    ...projectIdentity(),
    emulator: { endpoint: platform.emulator.endpoint, kind: platform.emulator.kind, pids: platform.emulator.pids.map((pid) => ({ pid, start: processStart(pid) })) },
    api: api?.url ?? null,
    athena: api?.athena ?? null,
    buckets: platform.buckets,
  });
}

/**
 * `local up`: starts `serve` in the background (its output in `platform.log`) and returns once it serves.
 * @param serveArgs how this program runs `serve` (the same entry point, with --port)
 */
export async function up(folder: StateFolder, serveArgs: readonly string[], timeoutMs = 600_000): Promise<PlatformState> {
  const reading = readState(folder);
  if (reading.status === 'running') {
    refuseUnlessServing(reading.state, folder);
    return reading.state;
  }
  if (reading.status === 'stale') reportStale(reading.state, folder);
  mkdirSync(folder.dir, { recursive: true });
  const log = openSync(folder.log, 'w');
  const child = spawn(process.execPath, [...process.execArgv, ...serveArgs], { detached: true, stdio: ['ignore', log, log], env: { ...process.env, MEDALLION_STATE: folder.dir } });
  closeSync(log);
  child.unref();
  let exit: string | undefined;
  child.once('exit', (code, signal) => (exit = ending(code, signal)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = readState(folder);
    if (now.status === 'running' && now.state.pid === child.pid && now.state.api) return now.state;
    if (exit) throw new Error(`the local platform did not start (${exit}); its output (${shown(folder.log)}):\n${tail(folder.log)}`);
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`the local platform did not answer within ${timeoutMs / 1000} s; its output (${shown(folder.log)}):\n${tail(folder.log)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

function tail(file: string, lines = 20): string {
  if (!existsSync(file)) return '(none)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** Objects in each data bucket of a running platform. */
export async function bucketCounts(state: PlatformState): Promise<Record<string, number>> {
  const s3 = new S3Client({ ...clientConfig(state.emulator.endpoint), forcePathStyle: true });
  try {
    const counts: Record<string, number> = {};
    for (const purpose of SAVED_BUCKETS) counts[purpose] = (await listKeys(s3, state.buckets[purpose])).length;
    return counts;
  } finally {
    s3.destroy();
  }
}

/** What is saved in the folder, for messages: `312 objects saved at …` or `no saved data`. */
export function savedSummary(folder: StateFolder): string {
  const saved = readSavedData(folder.dataDir);
  return saved ? `${saved.objects.length} objects of stage ${saved.stage} saved at ${saved.savedAt} in ${shown(folder.dataDir)}` : `no saved data in ${shown(folder.dataDir)}`;
}

/**
 * `local down`: stops the platform serving for the folder (it saves its data as it stops) and waits until
 * it has ended; with `purge`, removes the saved data too.
 * @returns what happened, for the user
 */
export async function down(folder: StateFolder, purge: boolean, timeoutMs = 120_000): Promise<string[]> {
  const said: string[] = [];
  const reading = readState(folder);
  if (reading.status === 'running') {
    const { state } = reading;
    if (state.command === 'run') throw new Error(`${describe(state)} is a \`run\` in progress: it stops by itself when done (Ctrl-C in its terminal stops it now)`);
    process.kill(state.pid, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    // Ended when its process has: it removes platform.json after saving, then stops the emulator.
    while (alive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive(state.pid)) {
      process.kill(state.pid, 'SIGKILL');
      killLeftovers(state);
      rmSync(folder.file, { force: true });
      said.push(`stopped ${describe(state)} by force: it did not stop within ${timeoutMs / 1000} s, its data since its start was not saved`);
    } else {
      said.push(`stopped ${describe(state)}`);
    }
  } else if (reading.status === 'stale') {
    forgetStale(reading.state, folder);
    said.push(`${describe(reading.state)} had already ended without stopping cleanly; its record removed`);
  } else {
    said.push(`no local platform running for ${shown(folder.dir)}`);
  }
  if (purge) {
    const saved = readSavedData(folder.dataDir);
    rmSync(folder.dataDir, { recursive: true, force: true });
    said.push(saved ? `removed the saved data (${saved.objects.length} objects): the next platform starts empty` : 'no saved data to remove');
  } else {
    said.push(`${savedSummary(folder)}${existsSync(folder.dataDir) ? ': the next `run`, `serve` or `up` starts with it (`down --purge` removes it)' : ''}`);
  }
  return said;
}
