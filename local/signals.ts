import type { ChildProcess } from 'node:child_process';

/**
 * Stop signals (SIGINT, SIGTERM, SIGHUP) and the emulator processes this process started. The emulators run
 * in a process group of their own (Ctrl-C in a terminal reaches this process only), so they are stopped
 * here: a command that stops gracefully (`serve` saves its data first) registers a handler for the first
 * signal; without one, or on a second signal, the emulators are killed and the process exits 128 + n.
 * They are killed on any exit of the process too.
 */
const children = new Set<ChildProcess>();
let graceful: ((signal: NodeJS.Signals) => void) | undefined;

const SIGNALS: readonly (readonly [NodeJS.Signals, number])[] = [
  ['SIGINT', 2],
  ['SIGTERM', 15],
  ['SIGHUP', 1],
];

function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
}

for (const [signal, number] of SIGNALS) {
  process.on(signal, () => {
    const handler = graceful;
    if (handler) {
      graceful = undefined;
      handler(signal);
      return;
    }
    killChildren();
    process.exit(128 + number);
  });
}
process.on('exit', killChildren);

/** Kills `child` with this process (a signal, an exit, a crash), unless it ended before. */
export function killWithProcess(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * Calls `handler` on the first stop signal instead of exiting (a second one kills the emulators and exits).
 * @returns a function that removes the handler
 */
export function onStopSignal(handler: (signal: NodeJS.Signals) => void): () => void {
  graceful = handler;
  return () => {
    if (graceful === handler) graceful = undefined;
  };
}
