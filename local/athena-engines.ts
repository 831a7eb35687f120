import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { TrinoColumn, TrinoServer } from './trino/server';

/** A result column as Athena's GetQueryResults describes it. */
export interface AthenaColumn {
  readonly name: string;
  /** Athena (Trino) type name: `varchar`, `bigint`, `decimal`, `timestamp`, `array`, … */
  readonly type: string;
  readonly precision: number;
  readonly scale: number;
}

/** Rows as Athena returns them: every value as text, NULL as null. */
export interface AthenaResult {
  readonly columns: readonly AthenaColumn[];
  readonly rows: readonly (readonly (string | null)[])[];
}

/** The engine behind the local Athena: DuckDB (embedded, fast), Trino (what Athena runs) or both, compared. */
export interface AthenaEngine {
  readonly name: string;
  /**
   * Runs one statement with `database` as the default schema. `parameters` are Athena's
   * ExecutionParameters (SQL literals) for the `?` of the statement, already checked.
   */
  execute(sql: string, parameters: readonly string[], database?: string): Promise<AthenaResult>;
}

/** `UNLOAD (select) TO 's3://…/' WITH (…)`: Athena-only syntax, run by each engine its own way. */
export interface Unload {
  readonly select: string;
  readonly location: string;
  readonly options: string;
}

export function parseUnload(sql: string): Unload | undefined {
  const m = /^\s*UNLOAD\s*\(([\s\S]*)\)\s*TO\s*'(s3:\/\/[^']+\/)'\s*WITH\s*\(([\s\S]*)\)\s*$/i.exec(sql);
  if (!m) return undefined;
  if (!/format\s*=\s*'PARQUET'/i.test(m[3])) throw new Error("the local Athena unloads only WITH (format = 'PARQUET')");
  return { select: m[1], location: m[2], options: m[3] };
}

const LITERAL = /^('(?:[^']|'')*'|-?\d+(\.\d+)?|true|false|null|DATE '\d{4}-\d{2}-\d{2}'|TIMESTAMP '[0-9: .-]+')$/i;

/** Thrown for a request Athena itself would refuse (InvalidRequestException). */
export class InvalidRequest extends Error {}

/**
 * Athena substitutes execution parameters, which must be SQL literals, for the `?` outside quotes.
 * @throws InvalidRequest when the counts differ or a parameter is not a literal
 */
export function bindParameters(query: string, parameters: readonly string[] = []): string {
  let i = 0;
  const out = query.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\?/g, (token) => {
    if (token !== '?') return token;
    if (i >= parameters.length) throw new InvalidRequest(`the query has more ? placeholders than the ${parameters.length} ExecutionParameters given`);
    const p = parameters[i++];
    if (!LITERAL.test(p.trim())) throw new InvalidRequest(`ExecutionParameters must be SQL literals; got ${JSON.stringify(p)}`);
    return p;
  });
  if (i < parameters.length) throw new InvalidRequest(`${parameters.length} ExecutionParameters given for ${i} ? placeholders`);
  return out;
}

/** A double as Java (and so Trino and Athena) prints it: `1.0`, `25.03`, `1.0E7`, `1.0E-4`. */
export function javaDouble(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(n);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(n);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = n.toExponential().split('e');
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
}

/** Athena (Trino) type of a DuckDB column type. */
export function athenaType(duckdbType: string): Omit<AthenaColumn, 'name'> {
  const t = duckdbType.toUpperCase();
  const decimal = t.match(/^DECIMAL\((\d+),\s*(\d+)\)$/);
  if (decimal) return { type: 'decimal', precision: Number(decimal[1]), scale: Number(decimal[2]) };
  if (t.endsWith('[]')) return { type: 'array', precision: 0, scale: 0 };
  if (t.startsWith('MAP(')) return { type: 'map', precision: 0, scale: 0 };
  if (t.startsWith('STRUCT(')) return { type: 'row', precision: 0, scale: 0 };
  const map: Record<string, [string, number]> = {
    VARCHAR: ['varchar', 2147483647],
    BIGINT: ['bigint', 19],
    HUGEINT: ['bigint', 19],
    INTEGER: ['integer', 10],
    SMALLINT: ['smallint', 5],
    TINYINT: ['tinyint', 3],
    DOUBLE: ['double', 17],
    FLOAT: ['real', 17],
    BOOLEAN: ['boolean', 0],
    DATE: ['date', 0],
    TIMESTAMP: ['timestamp', 3],
    'TIMESTAMP WITH TIME ZONE': ['timestamp with time zone', 3],
  };
  const [type, precision] = map[t] ?? ['varchar', 2147483647];
  return { type, precision, scale: 0 };
}

/** Text of a DuckDB value as Athena returns it: timestamps `YYYY-MM-DD HH:MM:SS.mmm`, doubles as Java prints them. */
function duckdbText(value: unknown, type: string): string | null {
  if (value === null || value === undefined) return null;
  if ((type === 'double' || type === 'real') && typeof value === 'number') return javaDouble(value);
  const s = String(value);
  if (type === 'timestamp') {
    const m = s.match(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?$/);
    if (m) return `${m[1]} ${m[2]}${((m[3] ?? '.') + '000').slice(0, 4)}`;
  }
  return s;
}

export interface DuckDBEngineOptions {
  /** A DuckDB connection with the Trino compatibility layer loaded. */
  readonly connection: DuckDBConnection;
  /** Refreshes table definitions before a statement (new silver files, new manifests). */
  readonly prepare?: () => Promise<void>;
  /** Stores a file written by UNLOAD at an S3 URL; without it UNLOAD fails, as in Athena without access to the target. */
  readonly unload?: (localFile: string, s3Url: string) => Promise<void>;
}

/** DuckDB with the Trino compatibility layer: parameters bound as literals, UNLOAD as COPY … (FORMAT parquet). */
export class DuckDBAthenaEngine implements AthenaEngine {
  readonly name = 'DuckDB';

  constructor(private readonly options: DuckDBEngineOptions) {}

  async execute(sql: string, parameters: readonly string[], database?: string): Promise<AthenaResult> {
    const bound = bindParameters(sql, parameters);
    const c = this.options.connection;
    await this.options.prepare?.();
    if (database) await c.run(`SET schema = '${database.replace(/'/g, "''")}'`);
    const unload = parseUnload(bound);
    if (unload) {
      if (!this.options.unload) throw new Error('UNLOAD is not available: this local Athena has no S3 target');
      const dir = mkdtempSync(join(tmpdir(), 'athena-unload-'));
      try {
        const file = join(dir, 'part-00000.parquet');
        await c.run(`COPY (${unload.select}) TO '${file}' (FORMAT parquet, COMPRESSION zstd)`);
        await this.options.unload(file, `${unload.location}part-00000.parquet`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      return { columns: [], rows: [] };
    }
    const result = await c.runAndReadAll(bound).catch((e: Error) => Promise.reject(new Error(e.message.split('\n')[0])));
    const names = result.columnNames();
    const types = result.columnTypes().map((t) => athenaType(t.toString()));
    return { columns: names.map((name, i) => ({ name, ...types[i] })), rows: result.getRows().map((row) => row.map((v, i) => duckdbText(v, types[i].type))) };
  }
}

const PRECISION: Record<string, number> = { varchar: 2147483647, bigint: 19, integer: 10, smallint: 5, tinyint: 3, double: 17, real: 17, timestamp: 3, 'timestamp with time zone': 3 };

/** Athena's description of a Trino column: the raw type name, with precision and scale of decimals and lengths of varchars. */
function trinoAthenaColumn(c: TrinoColumn): AthenaColumn {
  const { rawType, arguments: args } = c.typeSignature;
  const numbers = args.filter((a) => a.kind === 'LONG').map((a) => Number(a.value));
  if (rawType === 'decimal') return { name: c.name, type: 'decimal', precision: numbers[0], scale: numbers[1] };
  if (rawType === 'varchar' && numbers.length) return { name: c.name, type: 'varchar', precision: numbers[0], scale: 0 };
  return { name: c.name, type: rawType, precision: PRECISION[rawType] ?? 0, scale: 0 };
}

/** Text of a nested value as Athena prints it: arrays `[a, b]`, maps and rows `{k=v}`. */
function nestedText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(nestedText).join(', ')}]`;
  if (typeof value === 'object') return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${nestedText(v)}`).join(', ')}}`;
  return String(value);
}

function trinoText(value: unknown, column: AthenaColumn): string | null {
  if (value === null || value === undefined) return null;
  if ((column.type === 'double' || column.type === 'real') && typeof value === 'number') return javaDouble(value);
  if (typeof value === 'object') return nestedText(value);
  return String(value);
}

/** The SQL string literal of a text. */
const stringLiteral = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * Trino, the engine of Athena engine v3, over a Hive catalog on the emulator's Glue and S3: parameters
 * through `EXECUTE IMMEDIATE … USING` as Athena binds them, UNLOAD as a CREATE TABLE AS with an external
 * location (then the table is dropped; its files stay, as UNLOAD's do).
 */
export class TrinoAthenaEngine implements AthenaEngine {
  readonly name = 'Trino';

  constructor(
    private readonly trino: TrinoServer,
    private readonly catalog: string,
    /** Brings the catalog up to date before a statement (partitions of new silver files). */
    private readonly prepare?: () => Promise<void>,
  ) {}

  async execute(sql: string, parameters: readonly string[], database?: string): Promise<AthenaResult> {
    bindParameters(sql, parameters); // the same checks Athena makes
    await this.prepare?.();
    const session = { catalog: this.catalog, schema: database };
    const unload = parseUnload(sql);
    if (unload) {
      if (!database) throw new Error('UNLOAD on the local Trino needs a QueryExecutionContext database (its temporary table lives there)');
      const table = `"${database}"."medallion_unload_${randomUUID().replace(/-/g, '')}"`;
      const compression = /compression\s*=\s*'(\w+)'/i.exec(unload.options)?.[1]?.toUpperCase() ?? 'GZIP';
      await this.trino.query(`CREATE TABLE ${table} WITH (format = 'PARQUET', external_location = ${stringLiteral(unload.location)}) AS ${unload.select}`, {
        ...session,
        properties: { [`${this.catalog}.compression_codec`]: compression },
      });
      await this.trino.query(`DROP TABLE ${table}`, session);
      return { columns: [], rows: [] };
    }
    const statement = parameters.length ? `EXECUTE IMMEDIATE ${stringLiteral(sql)} USING ${parameters.join(', ')}` : sql;
    const result = await this.trino.query(statement, session);
    const columns = result.columns.map(trinoAthenaColumn);
    return { columns, rows: result.rows.map((row) => row.map((v, i) => trinoText(v, columns[i]))) };
  }
}

/** One statement on which the engines disagree, with both answers. */
export interface Disagreement {
  readonly sql: string;
  readonly parameters: readonly string[];
  readonly message: string;
}

/** The SQL with string literals, quoted names, comments and parenthesized parts blanked: what is left is the top level. */
function topLevel(sql: string): string {
  let s = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  for (let previous = ''; previous !== s; ) {
    previous = s;
    s = s.replace(/\([^()]*\)/g, ' ');
  }
  return s;
}

const returnsRows = (sql: string): boolean => /^\s*(select|with|values|show|describe)\b/i.test(sql);

type Outcome = { ok: true; result: AthenaResult } | { ok: false; error: string };

async function outcome(engine: AthenaEngine, sql: string, parameters: readonly string[], database?: string): Promise<Outcome> {
  try {
    return { ok: true, result: await engine.execute(sql, parameters, database) };
  } catch (e) {
    if (e instanceof InvalidRequest) throw e;
    return { ok: false, error: (e as Error).message.split('\n')[0] };
  }
}

/** A column as compared: name and type, with precision and scale for decimals (varchar lengths differ by engine and are not read). */
const columnSignature = (c: AthenaColumn): string => `${c.name} ${c.type}${c.type === 'decimal' ? `(${c.precision},${c.scale})` : ''}`;

function describe(o: Outcome): string {
  if (!o.ok) return `failed: ${o.error}`;
  const header = o.result.columns.map(columnSignature).join(', ');
  const rows = o.result.rows.slice(0, 20).map((r) => JSON.stringify(r));
  return [`columns [${header}]`, ...rows, ...(o.result.rows.length > 20 ? [`… ${o.result.rows.length} rows in all`] : [])].join('\n    ');
}

/** Why two results differ, or undefined when they are the same (type by type, value by value). */
export function resultDifference(sql: string, a: AthenaResult, b: AthenaResult): string | undefined {
  const columnsA = a.columns.map(columnSignature).join(', ');
  const columnsB = b.columns.map(columnSignature).join(', ');
  if (columnsA !== columnsB) return 'the columns differ';
  if (a.rows.length !== b.rows.length) return `${a.rows.length} rows against ${b.rows.length}`;
  // Without a top-level ORDER BY the order of rows is not defined: compare them as multisets.
  const ordered = /\border\s+by\b/i.test(topLevel(sql));
  const keyed = (rows: AthenaResult['rows']): string[] => {
    const keys = rows.map((r) => JSON.stringify(r));
    return ordered ? keys : keys.sort();
  };
  const rowsA = keyed(a.rows);
  const rowsB = keyed(b.rows);
  const at = rowsA.findIndex((r, i) => r !== rowsB[i]);
  return at === -1 ? undefined : `row ${at + 1}${ordered ? '' : ' (rows sorted)'} differs: ${rowsA[at]} against ${rowsB[at]}`;
}

/**
 * Runs every statement on the embedded engine and on the reference engine (Trino, as Athena) and fails it,
 * with both answers, when one accepts it and the other refuses it, or when their results differ. UNLOAD is
 * compared on its SELECT and written once, by the embedded engine. Every disagreement is also kept in
 * `disagreements` for the test run to report.
 */
export class ComparingAthenaEngine implements AthenaEngine {
  readonly name: string;
  readonly disagreements: Disagreement[] = [];
  /** Statements both engines ran, for the suite to show what was compared. */
  compared = 0;

  constructor(
    readonly embedded: AthenaEngine,
    readonly reference: AthenaEngine,
  ) {
    this.name = `${embedded.name} compared with ${reference.name}`;
  }

  async execute(sql: string, parameters: readonly string[], database?: string): Promise<AthenaResult> {
    const unload = parseUnload(sql);
    const probe = unload ? unload.select : sql;
    const a = await outcome(this.embedded, probe, parameters, database);
    const b = await outcome(this.reference, probe, parameters, database);
    this.compared++;
    let why: string | undefined;
    if (a.ok !== b.ok) why = a.ok ? `only ${this.embedded.name} accepts it` : `only ${this.reference.name} accepts it`;
    else if (a.ok && b.ok && (unload || returnsRows(probe))) why = resultDifference(probe, a.result, b.result);
    if (why) {
      const message = `${this.embedded.name} and ${this.reference.name} disagree (${why}) on:\n  ${probe.trim().replace(/\s+/g, ' ').slice(0, 2000)}${
        parameters.length ? `\n  with parameters ${JSON.stringify(parameters)}` : ''
      }\n  ${this.embedded.name}: ${describe(a)}\n  ${this.reference.name}: ${describe(b)}`;
      this.disagreements.push({ sql: probe, parameters, message });
      throw new Error(message);
    }
    if (!a.ok) throw new Error(a.error);
    if (unload) return this.embedded.execute(sql, parameters, database);
    return a.result;
  }
}
