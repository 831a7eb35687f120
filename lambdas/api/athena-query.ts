import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  type AthenaClient,
  type ColumnInfo,
} from '@aws-sdk/client-athena';
import { Problem } from './problem';

export interface AthenaSettings {
  readonly workGroup: string;
  /** Database of unqualified names. */
  readonly database: string;
  /** Reuse a result of the same query text and parameters up to this age; 0 turns reuse off. */
  readonly resultReuseMinutes: number;
  /** Poll interval while a query runs. */
  readonly pollMs: number;
}

export type QueryState = 'SUCCEEDED' | 'RUNNING';

/** A query Athena reported FAILED or CANCELLED. */
export class QueryFailed extends Error {
  constructor(
    readonly queryExecutionId: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const THROTTLED = ['TooManyRequestsException', 'ThrottlingException'];

/** Athena throttling as a 429 problem; anything else unchanged. */
function throttled(e: unknown): unknown {
  const name = (e as { name?: string }).name ?? '';
  if (THROTTLED.includes(name) || /Rate exceeded|too many queries/i.test((e as Error).message ?? '')) {
    return new Problem(429, 'athena-throttled', 'Too many requests', `Athena refused the query for now (${name}: ${(e as Error).message}); retry after a few seconds`, {}, { 'retry-after': '5' });
  }
  return e;
}

export async function startQuery(athena: AthenaClient, settings: AthenaSettings, sql: string, parameters: readonly string[]): Promise<string> {
  try {
    const out = await athena.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: settings.workGroup,
        QueryExecutionContext: { Database: settings.database },
        ...(parameters.length ? { ExecutionParameters: [...parameters] } : {}),
        ...(settings.resultReuseMinutes > 0
          ? { ResultReuseConfiguration: { ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: settings.resultReuseMinutes } } }
          : {}),
      }),
    );
    return out.QueryExecutionId!;
  } catch (e) {
    throw throttled(e);
  }
}

/**
 * Waits for a query until it succeeds or the deadline passes.
 * @returns `RUNNING` when the deadline passed first
 * @throws QueryFailed when Athena reports FAILED or CANCELLED
 */
export async function waitForQuery(athena: AthenaClient, settings: AthenaSettings, id: string, deadline: number): Promise<QueryState> {
  for (;;) {
    const out = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id })).catch((e: unknown) => Promise.reject(throttled(e)));
    const state = out.QueryExecution?.Status?.State;
    if (state === 'SUCCEEDED') return 'SUCCEEDED';
    if (state === 'FAILED' || state === 'CANCELLED') throw new QueryFailed(id, out.QueryExecution?.Status?.StateChangeReason ?? state);
    if (Date.now() + settings.pollMs > deadline) return 'RUNNING';
    await new Promise((r) => setTimeout(r, settings.pollMs));
  }
}

export interface ResultPage {
  readonly columns: readonly ColumnInfo[];
  readonly rows: (string | null)[][];
  /** Athena's token of the rest, absent at the end. */
  readonly next?: string;
}

/** Athena returns at most this many rows per GetQueryResults call. */
const ATHENA_MAX_RESULTS = 1000;

/**
 * Up to `limit` data rows from `next` on (from the start when undefined: the header row Athena puts
 * first is skipped).
 */
export async function readRows(athena: AthenaClient, id: string, limit: number, next?: string): Promise<ResultPage> {
  let header = next === undefined;
  let token = next;
  const rows: (string | null)[][] = [];
  let columns: readonly ColumnInfo[] = [];
  do {
    const want = Math.min(ATHENA_MAX_RESULTS, limit - rows.length + (header ? 1 : 0));
    const out = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: want, NextToken: token })).catch((e: unknown) => Promise.reject(throttled(e)));
    columns = out.ResultSet?.ResultSetMetadata?.ColumnInfo ?? columns;
    const page = (out.ResultSet?.Rows ?? []).map((r) => (r.Data ?? []).map((d) => d.VarCharValue ?? null));
    rows.push(...(header ? page.slice(1) : page));
    header = false;
    token = out.NextToken;
  } while (token && rows.length < limit);
  return { columns, rows, ...(token ? { next: token } : {}) };
}

/** API type names of Athena (Trino) result types. */
export function apiValue(type: string, text: string | null): unknown {
  if (text === null) return null;
  switch (type) {
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'int':
    case 'bigint':
      return Number(text);
    case 'double':
    case 'real':
    case 'float': {
      const n = Number(text);
      // JSON has no NaN or infinities: those stay text.
      return Number.isFinite(n) ? n : text;
    }
    case 'boolean':
      return text === 'true';
    case 'timestamp': {
      const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?$/.exec(text);
      return m ? `${m[1]}T${m[2]}${((m[3] ?? '.') + '000').slice(0, 4)}Z` : text;
    }
    default:
      // decimal (exact: a string), varchar, date (YYYY-MM-DD), and anything else as Athena prints it.
      return text;
  }
}
