import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bindParameters, InvalidRequest, type AthenaColumn, type AthenaEngine } from './athena-engines';

/**
 * A local Athena: the Athena JSON API (StartQueryExecution, GetQueryExecution, GetQueryResults with
 * pagination, StopQueryExecution) over HTTP on 127.0.0.1, executing on an `AthenaEngine` (DuckDB with the
 * Trino compatibility layer, a local Trino, or both compared), so that code written against
 * `@aws-sdk/client-athena` runs unchanged locally.
 */
export interface LocalAthenaOptions {
  /** What runs the statements. */
  readonly engine: AthenaEngine;
  /** Where results claim to be stored (Athena returns it; nothing is written there). */
  readonly outputLocation?: string;
  readonly port?: number;
}

type State = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

interface Execution {
  readonly id: string;
  readonly query: string;
  readonly database?: string;
  readonly workGroup: string;
  state: State;
  reason?: string;
  readonly submitted: Date;
  completed?: Date;
  readonly parameters: readonly string[];
  columns?: readonly AthenaColumn[];
  rows?: readonly (readonly (string | null)[])[];
  engineMs?: number;
  /** Key of the result for reuse (database and bound SQL). */
  readonly reuseKey: string;
  /** Set when this execution reused the result of an earlier one (ResultReuseConfiguration). */
  reused?: boolean;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const MAX_RESULTS = 1000;

export class LocalAthena {
  private readonly executions = new Map<string, Execution>();
  /** The latest successful execution of each query text, for ResultReuseConfiguration. */
  private readonly reusable = new Map<string, Execution>();
  /** Executions that ran on DuckDB (not reused), for tests and the benchmark. */
  engineRuns = 0;
  private server?: Server;
  private queue: Promise<void> = Promise.resolve();
  endpoint = '';

  constructor(private readonly options: LocalAthenaOptions) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(this.options.port ?? 0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.replace(/^AmazonAthena\./, '');
    let status = 200;
    let body: unknown;
    try {
      const input = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
      body = this.dispatch(operation, input);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError('InternalServerException', (e as Error).message, 500);
      status = err.status;
      body = { __type: err.type, Message: err.message };
    }
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() });
    res.end(JSON.stringify(body));
  }

  private dispatch(operation: string, input: Record<string, unknown>): unknown {
    switch (operation) {
      case 'StartQueryExecution':
        return this.startQuery(input);
      case 'GetQueryExecution':
        return { QueryExecution: this.describe(this.execution(input.QueryExecutionId)) };
      case 'GetQueryResults':
        return this.results(input);
      case 'StopQueryExecution': {
        const e = this.execution(input.QueryExecutionId);
        if (e.state === 'QUEUED' || e.state === 'RUNNING') Object.assign(e, { state: 'CANCELLED', completed: new Date(), reason: 'Query was cancelled by the user' });
        return {};
      }
      default:
        throw new ApiError('UnknownOperationException', `the local Athena does not implement ${operation || '(no X-Amz-Target)'}`);
    }
  }

  private execution(id: unknown): Execution {
    const e = typeof id === 'string' ? this.executions.get(id) : undefined;
    if (!e) throw new ApiError('InvalidRequestException', `QueryExecution ${String(id)} was not found`);
    return e;
  }

  private startQuery(input: Record<string, unknown>): unknown {
    if (typeof input.QueryString !== 'string' || input.QueryString.trim() === '') throw new ApiError('InvalidRequestException', 'QueryString is required');
    const context = input.QueryExecutionContext as { Database?: string } | undefined;
    const parameters = (input.ExecutionParameters as string[] | undefined) ?? [];
    let sql: string;
    try {
      sql = bindParameters(input.QueryString, parameters);
    } catch (e) {
      throw e instanceof InvalidRequest ? new ApiError('InvalidRequestException', e.message) : e;
    }
    const reuseKey = `${context?.Database ?? ''}\u0000${sql}`;
    const e: Execution = { id: randomUUID(), query: input.QueryString, parameters, database: context?.Database, workGroup: String(input.WorkGroup ?? 'primary'), state: 'QUEUED', submitted: new Date(), reuseKey };
    this.executions.set(e.id, e);
    // As Athena: with result reuse on, a SELECT whose identical text (after parameters) succeeded within
    // MaxAgeInMinutes returns that result without running (and without refreshing the tables).
    const reuse = (input.ResultReuseConfiguration as { ResultReuseByAgeConfiguration?: { Enabled?: boolean; MaxAgeInMinutes?: number } } | undefined)?.ResultReuseByAgeConfiguration;
    const previous = this.reusable.get(reuseKey);
    if (reuse?.Enabled && previous?.completed && Date.now() - previous.completed.getTime() <= (reuse.MaxAgeInMinutes ?? 60) * 60_000) {
      Object.assign(e, { state: 'SUCCEEDED', columns: previous.columns, rows: previous.rows, reused: true, completed: new Date(), engineMs: 0 });
      return { QueryExecutionId: e.id };
    }
    // One query at a time on the shared connection, in submission order.
    this.queue = this.queue.then(() => this.run(e));
    return { QueryExecutionId: e.id };
  }

  private async run(e: Execution): Promise<void> {
    if (e.state === 'CANCELLED') return;
    e.state = 'RUNNING';
    const started = Date.now();
    this.engineRuns++;
    try {
      const result = await this.options.engine.execute(e.query, e.parameters, e.database);
      if ((e.state as State) === 'CANCELLED') return;
      Object.assign(e, { state: 'SUCCEEDED', columns: result.columns, rows: result.rows });
      if (/^\s*(select|with)\b/i.test(e.query)) this.reusable.set(e.reuseKey, e);
    } catch (err) {
      Object.assign(e, { state: 'FAILED', reason: (err as Error).message });
    } finally {
      e.completed ??= new Date();
      e.engineMs = Date.now() - started;
    }
  }

  private describe(e: Execution): unknown {
    return {
      QueryExecutionId: e.id,
      Query: e.query,
      StatementType: /^\s*(select|with|values)\b/i.test(e.query) ? 'DML' : 'DDL',
      ResultConfiguration: { OutputLocation: `${this.options.outputLocation ?? 's3://local-athena-results'}/${e.id}.csv` },
      QueryExecutionContext: e.database ? { Database: e.database, Catalog: 'AwsDataCatalog' } : {},
      Status: {
        State: e.state,
        ...(e.reason ? { StateChangeReason: e.reason } : {}),
        SubmissionDateTime: e.submitted.getTime() / 1000,
        ...(e.completed ? { CompletionDateTime: e.completed.getTime() / 1000 } : {}),
      },
      Statistics: {
        EngineExecutionTimeInMillis: e.engineMs ?? 0,
        DataScannedInBytes: 0,
        TotalExecutionTimeInMillis: e.engineMs ?? 0,
        ResultReuseInformation: { ReusedPreviousResult: e.reused === true },
      },
      WorkGroup: e.workGroup,
      EngineVersion: { SelectedEngineVersion: 'Athena engine version 3', EffectiveEngineVersion: 'Athena engine version 3' },
    };
  }

  /** Pages of at most MaxResults rows; the first page starts with the header row, as in Athena. */
  private results(input: Record<string, unknown>): unknown {
    const e = this.execution(input.QueryExecutionId);
    if (e.state === 'FAILED') throw new ApiError('InvalidRequestException', `Query has not yet finished. Current state: FAILED. ${e.reason ?? ''}`.trim());
    if (e.state !== 'SUCCEEDED') throw new ApiError('InvalidRequestException', `Query has not yet finished. Current state: ${e.state}`);
    const max = input.MaxResults === undefined ? MAX_RESULTS : Number(input.MaxResults);
    if (!Number.isInteger(max) || max < 1 || max > MAX_RESULTS) throw new ApiError('InvalidRequestException', `MaxResults must be between 1 and ${MAX_RESULTS}`);
    const all = [e.columns!.map((c) => c.name), ...e.rows!];
    let offset = 0;
    if (input.NextToken !== undefined) {
      const decoded = /^(.+):(\d+)$/.exec(Buffer.from(String(input.NextToken), 'base64url').toString('utf8'));
      if (!decoded || decoded[1] !== e.id) throw new ApiError('InvalidRequestException', 'NextToken is not valid for this query');
      offset = Number(decoded[2]);
    }
    const page = all.slice(offset, offset + max);
    const next = offset + max < all.length ? Buffer.from(`${e.id}:${offset + max}`).toString('base64url') : undefined;
    return {
      UpdateCount: 0,
      ResultSet: {
        Rows: page.map((row) => ({ Data: row.map((v) => (v === null ? {} : { VarCharValue: v })) })),
        ResultSetMetadata: {
          ColumnInfo: e.columns!.map((c) => ({ CatalogName: 'hive', SchemaName: '', TableName: '', Name: c.name, Label: c.name, Type: c.type, Precision: c.precision, Scale: c.scale, Nullable: 'UNKNOWN', CaseSensitive: c.type === 'varchar' })),
        },
      },
      ...(next ? { NextToken: next } : {}),
    };
  }
}
