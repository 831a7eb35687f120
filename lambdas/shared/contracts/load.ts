import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ContractError, type ContractIssue } from './errors';
import type { DatasetContract, GoldContract } from './model';
import { parseContract, parseGoldContract } from './parse';

/**
 * Where contracts are read from: `CONTRACTS_DIR` when set (the local platform's `--contracts`), else
 * `contracts/` of the current folder (the project's root; `/var/task` in Lambda, where the bundle ships them).
 * Read at each call, so a CLI can set it after its modules are loaded.
 */
export function defaultContractsDir(): string {
  return resolve(process.env.CONTRACTS_DIR ?? 'contracts');
}

/**
 * Loads every `*.yaml` / `*.yml` contract directly inside `dir` (sub-folders such as `schema/` are not
 * read). Every file is checked before anything is thrown, so one run shows every problem in every file.
 */
export function loadContracts(dir: string = defaultContractsDir()): DatasetContract[] {
  return loadAll(dir, parseContract);
}

/** Loads the Gold output contracts of `contracts/gold/` with the same checks. */
export function loadGoldContracts(dir: string = join(defaultContractsDir(), 'gold')): GoldContract[] {
  return loadAll(dir, parseGoldContract);
}

/** The contract files `loadContracts` and `loadGoldContracts` read in `dir`: `*.yaml` and `*.yml` directly inside, by name. */
export function contractFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => e.name)
    .sort();
}

function loadAll<T extends { id: string; file: string }>(dir: string, parse: (text: string, file: string) => T): T[] {
  const files = contractFiles(dir);
  const issues: ContractIssue[] = [];
  const contracts: T[] = [];
  for (const name of files) {
    const path = join(dir, name);
    const rel = relative(process.cwd(), path);
    const display = rel && !rel.startsWith('..') ? rel : path;
    try {
      contracts.push(parse(readFileSync(path, 'utf8'), display));
    } catch (e) {
      if (!(e instanceof ContractError)) throw e;
      issues.push(...e.issues);
    }
  }
  const ids = new Map<string, string>();
  for (const c of contracts) {
    const other = ids.get(c.id);
    if (other) issues.push({ file: c.file, path: '/id', reason: `id '${c.id}' is also used by ${other}`, hint: 'give every contract its own id' });
    ids.set(c.id, c.file);
  }
  if (files.length === 0) {
    issues.push({ file: dir, path: '', reason: 'no contract files (*.yaml) found', hint: 'add one contract per source dataset' });
  }
  if (issues.length > 0) throw new ContractError(issues);
  return contracts;
}
