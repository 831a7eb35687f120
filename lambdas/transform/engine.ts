import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { DatasetContract } from '../shared/contracts';
import { checkCsvHeader } from '../shared/csv-header';
import { withheldNote } from './quarantine-record';
import { UnreadableFileError } from './source-file';
import {
  checkSql,
  cleanSilverSelectSql,
  copyPartitionedSql,
  COUNT_ALREADY_WRITTEN,
  COUNT_CHECKED,
  COUNT_CSV_REJECTS,
  COUNT_INVALID,
  COUNT_REJECTED,
  COUNT_SOURCE,
  CSV_READER_TABLES,
  csvLineNumbers,
  csvRejectedSql,
  dropTableSql,
  dropViewSql,
  lineTableSql,
  NOT_CLEAN_MARKER,
  QUARANTINE_PARTITIONS_SQL,
  quarantineCopySql,
  quarantinedSql,
  readSourceSql,
  reasonCountsSql,
  SESSION_SETUP,
  SET_ASIDE_EPOCH,
  sieveSilverSelectSql,
  silverCountsSql,
  silverSelectSql,
  SOURCE_VIEW,
  TEMP_TABLES,
  validRowsOf,
  type JsonReader,
  type LineageValues,
  type PieceRef,
  type PiiPads,
} from './sql';

export interface EngineInput {
  readonly contract: DatasetContract;
  /** Local text file (decompressed, no BOM). */
  readonly textPath: string;
  /** CSV: the lines that start no record the reader returns (see line-scan.ts), for exact line numbers. */
  readonly csvSkippedLines?: readonly number[];
  /** CSV: the further lines of multi-line records (the reader numbers such a record as one line). */
  readonly csvContinuationLines?: readonly number[];
  /** The text in pieces (see source-file.ts); @default the one piece `textPath` */
  readonly pieces?: readonly PieceRef[];
  readonly lineage: LineageValues;
  /** Empty folder receiving `silver/dt=…/*.parquet` and `quarantine/dt=…/*.json`. */
  readonly outDir: string;
  /** Required when the contract has PII properties. */
  readonly pii?: PiiPads;
  /** First day the silver partition projection shows; earlier events are quarantined. */
  readonly projectionStartDate: string;
  /** Latest event time accepted (processing time plus the future horizon); later events are quarantined. @default now plus one day */
  readonly latestEventTime?: Date;
}

export interface PartitionOutput {
  /** Partition date, YYYY-MM-DD, or `unknown` for quarantined rows without a readable event date. */
  readonly dt: string;
  /** Local files of the partition, in name order. */
  readonly files: readonly string[];
  readonly rows: number;
}

export interface EngineResult {
  readonly rowsIn: number;
  readonly rowsValid: number;
  readonly rowsQuarantined: number;
  /** Valid rows replaced by a later row with the same primary key in the same file. */
  readonly rowsSuperseded: number;
  /** Quarantined rows by their first broken rule. */
  readonly reasons: Readonly<Record<string, number>>;
  readonly silver: readonly PartitionOutput[];
  readonly quarantine: readonly PartitionOutput[];
  /**
   * `single-pass`: the whole file was clean and took the fast path; `sieve`: the single pass wrote the
   * clean rows and only the pieces holding the others were read again line by line; `full`: every line
   * was read with its number.
   */
  readonly readPath: 'single-pass' | 'sieve' | 'full';
}

const latestEventTime = (input: EngineInput): Date => input.latestEventTime ?? new Date(Date.now() + 86_400_000);

let instance: Promise<DuckDBInstance> | undefined;

/**
 * One DuckDB instance per process (Lambda container). Its memory limit is `DUCKDB_MEMORY_LIMIT` when set,
 * else 60% of the Lambda's memory; past it DuckDB spills to /tmp instead of failing.
 */
function duckdb(): Promise<DuckDBInstance> {
  if (!instance) {
    const lambdaMemoryMb = Number(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? 0);
    const options: Record<string, string> = { temp_directory: join(process.env.TMPDIR ?? '/tmp', 'duckdb-spill') };
    if (process.env.DUCKDB_MEMORY_LIMIT) options.memory_limit = process.env.DUCKDB_MEMORY_LIMIT;
    else if (lambdaMemoryMb > 0) options.memory_limit = `${Math.floor(lambdaMemoryMb * 0.6)}MB`;
    instance = DuckDBInstance.create(':memory:', options);
  }
  return instance;
}

async function scalar(connection: DuckDBConnection, sql: string): Promise<number> {
  const reader = await connection.runAndReadAll(sql);
  return Number(reader.getRows()[0]?.[0] ?? 0);
}

async function rows(connection: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await connection.runAndReadAll(sql)).getRows() as unknown[][];
}

async function firstLine(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(64 * 1024);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    return text.split('\n')[0].replace(/\r$/, '');
  } finally {
    await file.close();
  }
}

async function assertReadable(contract: DatasetContract, path: string): Promise<void> {
  const head = await firstLine(path);
  const file = await open(path, 'r');
  const { size } = await file.stat();
  await file.close();
  if (size === 0 || (head.trim() === '' && size <= head.length + 2)) {
    throw new UnreadableFileError(contract.format === 'csv' ? 'empty file: no header row' : 'empty file: no rows');
  }
  if (contract.format !== 'csv') return;
  const { header, expected, ok } = checkCsvHeader(contract, head);
  const { delimiter } = contract.csv!;
  if (ok) return;
  // The first line may be a data row (a file without its header): for a dataset with PII columns only the
  // fields that are column names are echoed, so that no PII value reaches the manifest or the logs.
  const pii = contract.properties.some((p) => p.pii);
  const shown = pii ? header.map((h, i) => (expected.includes(h) ? h : `<field ${i + 1} withheld>`)) : header;
  throw new UnreadableFileError(`CSV header is "${shown.join(delimiter)}" but the contract expects "${expected.join(delimiter)}" in this order`);
}

function listPartitions(dir: string): { dt: string; files: string[] }[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.startsWith('dt='))
    .sort()
    .map((e) => ({ dt: e.slice(3), files: readdirSync(join(dir, e)).sort().map((f) => join(dir, e, f)) }));
}

/** Whether DuckDB refused the input itself (a malformed file), as opposed to failing for other reasons. */
const isReaderError = (message: string): boolean => /^(Invalid Input|IO|Conversion) Error/.test(message);

/**
 * The fast path, taken first: DuckDB's reader with the contract's shape, every conversion and rule, and
 * the partitioned Parquet write in one streaming statement, with nothing materialized. It gives up
 * (undefined, nothing left behind) at the first malformed JSON line or row that breaks a rule, or when
 * the CSV reader set a record aside; the full path then reads the file again and accounts for every row.
 */
async function singlePass(connection: DuckDBConnection, input: EngineInput, pieces: readonly PieceRef[], silverDir: string): Promise<EngineResult | undefined> {
  const { contract } = input;
  let stats: unknown[][] | undefined;
  try {
    await connection.run(readSourceSql(contract, pieces, 'schema'));
    const select = cleanSilverSelectSql(contract, input.projectionStartDate, latestEventTime(input), input.lineage, input.pii);
    stats = await rows(
      connection,
      copyPartitionedSql(select, silverDir, { stats: true }),
    );
    // The CSV reader sets records it cannot split aside instead of failing.
    if (contract.format === 'csv' && (await scalar(connection, COUNT_CSV_REJECTS)) > 0) stats = undefined;
  } catch (e) {
    const message = (e as Error).message;
    if (!message.includes(NOT_CLEAN_MARKER) && !isReaderError(message)) throw e;
    stats = undefined;
  }
  if (!stats) {
    rmSync(silverDir, { recursive: true, force: true });
    for (const table of CSV_READER_TABLES) await connection.run(dropTableSql(table));
    return undefined;
  }
  const counts = statsByPartition(stats);
  const written = [...counts.values()].reduce((a, b) => a + b, 0);
  // With a primary key, rows replaced by a later one in the file are not written: count what was read.
  const parsed = contract.primaryKey.length ? await scalar(connection, COUNT_SOURCE) : written;
  return {
    rowsIn: parsed,
    rowsValid: parsed,
    rowsQuarantined: 0,
    rowsSuperseded: parsed - written,
    reasons: {},
    silver: listPartitions(silverDir).map((p) => ({ ...p, rows: counts.get(p.dt) ?? 0 })),
    quarantine: [],
    readPath: 'single-pass',
  };
}

/** Rows written by a COPY … RETURN_STATS (one row per file, with its row count and partition values), by `dt`. */
function statsByPartition(stats: unknown[][]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [, count, , , , partitionKeys] of stats) {
    const dt = String((partitionKeys as { entries: { key: string; value: string }[] }).entries.find((k) => k.key === 'dt')!.value);
    counts.set(dt, (counts.get(dt) ?? 0) + Number(count));
  }
  return counts;
}

/**
 * The sieve (NDJSON without a primary key): the single pass over every piece at once, writing clean rows
 * to silver and setting the others aside by piece (see `sieveSilverSelectSql`), in one streaming
 * statement. Returns what it wrote and, by piece index, how many rows it set aside; undefined (nothing
 * left behind) when the reader refuses the file (a malformed JSON line), for the full path to decide.
 */
async function sieve(connection: DuckDBConnection, input: EngineInput, pieces: readonly PieceRef[], silverDir: string): Promise<{ result: EngineResult; setAside: Map<number, number> } | undefined> {
  const { contract } = input;
  let stats: unknown[][];
  try {
    await connection.run(readSourceSql(contract, pieces, 'schema'));
    const select = sieveSilverSelectSql(contract, input.projectionStartDate, latestEventTime(input), input.lineage, pieces, input.pii);
    stats = await rows(
      connection,
      copyPartitionedSql(select, silverDir, { stats: true }),
    );
  } catch (e) {
    if (!isReaderError((e as Error).message)) throw e;
    rmSync(silverDir, { recursive: true, force: true });
    return undefined;
  }
  const counts = statsByPartition(stats);
  const epoch = Date.parse(`${SET_ASIDE_EPOCH}T00:00:00Z`);
  const setAside = new Map<number, number>();
  for (const [dt, n] of [...counts]) {
    if (dt >= input.projectionStartDate) continue;
    setAside.set(Math.round((Date.parse(`${dt}T00:00:00Z`) - epoch) / 86_400_000), n);
    counts.delete(dt);
    rmSync(join(silverDir, `dt=${dt}`), { recursive: true, force: true });
  }
  const clean = [...counts.values()].reduce((a, b) => a + b, 0);
  const aside = [...setAside.values()].reduce((a, b) => a + b, 0);
  return {
    result: {
      rowsIn: clean + aside,
      rowsValid: clean,
      rowsQuarantined: 0,
      rowsSuperseded: 0,
      reasons: {},
      silver: listPartitions(silverDir).map((p) => ({ ...p, rows: counts.get(p.dt) ?? 0 })),
      quarantine: [],
      readPath: aside === 0 ? 'single-pass' : 'sieve',
    },
    setAside,
  };
}

/**
 * Reads a local source file with the contract's explicit schema, validates every row and writes the
 * valid rows as zstd Parquet partitioned by event date and the rejected rows as JSON lines with their
 * reasons. Every row ends up in exactly one of the two: rowsIn = rowsValid + rowsQuarantined.
 * @throws UnreadableFileError when the file cannot be read at all
 */
export async function transformFile(input: EngineInput): Promise<EngineResult> {
  const { contract } = input;
  if (contract.properties.some((p) => p.pii) && !input.pii) throw new Error(`dataset ${contract.name} has PII columns but no PII key was given`);
  const pieces: readonly PieceRef[] = input.pieces ?? [{ path: input.textPath, firstLine: 1 }];
  await assertReadable(contract, pieces[0].path);
  const db = await duckdb();
  const connection = await db.connect();
  const silverDir = join(input.outDir, 'silver');
  const quarantineDir = join(input.outDir, 'quarantine');
  mkdirSync(input.outDir, { recursive: true });
  try {
    await connection.run(SESSION_SETUP);
    if (contract.format === 'ndjson' && contract.primaryKey.length === 0) {
      const sieved = await sieve(connection, input, pieces, silverDir);
      if (sieved) {
        const { result, setAside } = sieved;
        if (setAside.size === 0) return result;
        // Only the pieces holding set-aside rows are read again, line by line; their rows the sieve
        // found clean are already in silver, the others are written now (valid) or quarantined.
        const fixDir = join(input.outDir, 'silver-set-aside');
        const again = await fullPath(connection, input, [...setAside.keys()].sort((a, b) => a - b).map((i) => pieces[i]), fixDir, quarantineDir, true);
        const setAsideRows = [...setAside.values()].reduce((a, b) => a + b, 0);
        if (again.rowsIn - again.alreadyWritten === setAsideRows) return combine(result, again, silverDir);
        // The two readers disagree on these pieces (an edge of JSON both accept differently): read the
        // whole file line by line instead, from a clean slate.
        rmSync(silverDir, { recursive: true, force: true });
        rmSync(fixDir, { recursive: true, force: true });
        rmSync(quarantineDir, { recursive: true, force: true });
      }
    } else {
      const clean = await singlePass(connection, input, pieces, silverDir);
      if (clean) return clean;
    }
    return await fullPath(connection, input, pieces, silverDir, quarantineDir, false);
  } finally {
    await connection.run(dropViewSql(SOURCE_VIEW));
    for (const table of TEMP_TABLES) await connection.run(dropTableSql(table));
    connection.closeSync();
  }
}

/**
 * The full path: every line of `pieces` read with its number (JSON line by line), checked, every reason
 * worked out; valid rows to `silverDir`, rejected ones to `quarantineDir` with their exact text and line.
 * With `onlyNotFast` (pieces the sieve set rows of aside) only the valid rows the sieve did not write go
 * to silver. Every row ends up in exactly one of the two: rowsIn = rowsValid + rowsQuarantined.
 */
async function fullPath(
  connection: DuckDBConnection,
  input: EngineInput,
  pieces: readonly PieceRef[],
  silverDir: string,
  quarantineDir: string,
  onlyNotFast: boolean,
): Promise<EngineResult & { alreadyWritten: number }> {
  const { contract } = input;
  const namePrefix = onlyNotFast ? 'set_aside_' : '';
  const build = async (reader: JsonReader) => {
    try {
      await connection.run(readSourceSql(contract, pieces, reader));
      await connection.run(checkSql(contract, input.projectionStartDate, latestEventTime(input), input.pii, onlyNotFast));
    } catch (e) {
      // The reader rejecting the file as a whole is bad data; anything else is ours to retry.
      const message = (e as Error).message;
      if (!isReaderError(message)) throw e;
      // DuckDB's messages may quote the offending text: not for a dataset with PII columns.
      const detail = contract.properties.some((p) => p.pii) ? message.split(':')[0] : message.split('\n')[0];
      throw new UnreadableFileError(`cannot read the file as ${contract.format}: ${detail}`);
    }
  };
  // A file that is not clean is read again with every row numbered (JSON line by line), so that every
  // quarantined row keeps its exact original text and line number.
  await build('lines');
  // CSV records the reader could not split land in its rejects table while `checked` is built.
  const csv = contract.format === 'csv';
  if (csv) {
    await loadLines(connection, 'continuation_lines', input.csvContinuationLines ?? []);
    for (const statement of csvRejectedSql()) await connection.run(statement);
  }

  const parsed = await scalar(connection, COUNT_CHECKED);
  const rejected = csv ? await scalar(connection, COUNT_REJECTED) : 0;
  const invalid = await scalar(connection, COUNT_INVALID);
  // Rows the sieve already wrote (clean in its sense) are not written again.
  const alreadyWritten = onlyNotFast ? await scalar(connection, COUNT_ALREADY_WRITTEN) : 0;
  const silverSql = silverSelectSql(contract, input.lineage, input.pii, validRowsOf(onlyNotFast));
  // Without a primary key nothing is superseded, and the counts come from `checked` without a second pass.
  const silverCounts = new Map((await rows(connection, silverCountsSql(contract, silverSql, onlyNotFast))).map(([dt, n]) => [String(dt), Number(n)]));
  const written = [...silverCounts.values()].reduce((a, b) => a + b, 0);
  const reasons: Record<string, number> = {};
  const reasonRows = await rows(connection, reasonCountsSql(csv));
  for (const [reason, count] of reasonRows) reasons[String(reason)] = Number(count);

  if (written > 0) {
    await connection.run(copyPartitionedSql(silverSql, silverDir));
  }
  const quarantineCounts = new Map<string, number>();
  if (invalid + rejected > 0) {
    // See quarantine-record.ts: a dataset with PII columns keeps no record the reader could not parse.
    const pii = contract.properties.some((p) => p.pii);
    let line = '_line';
    if (csv && input.csvSkippedLines) {
      await loadLines(connection, 'skipped_lines', input.csvSkippedLines);
      const numbering = csvLineNumbers();
      await connection.run(numbering.sql);
      line = numbering.line;
    }
    await connection.run(quarantinedSql(contract, line));
    // DuckDB's JSON writer cannot partition, so each partition is written on its own (quarantine is small).
    for (const [dt, n] of await rows(connection, QUARANTINE_PARTITIONS_SQL)) {
      const dir = join(quarantineDir, `dt=${String(dt)}`);
      mkdirSync(dir, { recursive: true });
      quarantineCounts.set(String(dt), Number(n));
      await connection.run(quarantineCopySql(input.lineage, String(dt), join(dir, `${namePrefix}part_0.json`), pii ? withheldNote(contract) : undefined));
    }
  }
  return {
    rowsIn: parsed + rejected,
    rowsValid: parsed - invalid,
    rowsQuarantined: invalid + rejected,
    rowsSuperseded: parsed - invalid - alreadyWritten - written,
    reasons,
    silver: listPartitions(silverDir).map((p) => ({ ...p, rows: silverCounts.get(p.dt) ?? 0 })),
    quarantine: listPartitions(quarantineDir).map((p) => ({ ...p, rows: quarantineCounts.get(p.dt) ?? 0 })),
    readPath: 'full',
    alreadyWritten,
  };
}

/** The sieve's result with the set-aside pieces' result: counts added, their silver files moved in. */
function combine(sieved: EngineResult, again: EngineResult & { alreadyWritten: number }, silverDir: string): EngineResult {
  const rows = new Map(sieved.silver.map((p) => [p.dt, p.rows]));
  for (const p of again.silver) {
    mkdirSync(join(silverDir, `dt=${p.dt}`), { recursive: true });
    for (const file of p.files) renameSync(file, join(silverDir, `dt=${p.dt}`, `set_aside_${file.split('/').pop()}`));
    rows.set(p.dt, (rows.get(p.dt) ?? 0) + p.rows);
  }
  return {
    rowsIn: sieved.rowsIn,
    rowsValid: sieved.rowsValid + again.rowsValid - again.alreadyWritten,
    rowsQuarantined: again.rowsQuarantined,
    rowsSuperseded: 0,
    reasons: again.reasons,
    silver: listPartitions(silverDir).map((p) => ({ ...p, rows: rows.get(p.dt) ?? 0 })),
    quarantine: again.quarantine,
    readPath: 'sieve',
  };
}

/** A temp table `name(line BIGINT)` holding `lines`. */
async function loadLines(connection: DuckDBConnection, name: string, lines: readonly number[]): Promise<void> {
  await connection.run(lineTableSql(name));
  const appender = await connection.createAppender(name);
  for (const line of lines) {
    appender.appendBigInt(BigInt(line));
    appender.endRow();
  }
  appender.closeSync();
}

/** Removes a work folder; used after the outputs have been uploaded. */
export function removeWorkDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
