import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, InvalidRequestException, StartQueryExecutionCommand, type GetQueryResultsOutput } from '@aws-sdk/client-athena';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { trinoCompatSql } from '../../lambdas/shared/gold';
import { DuckDBAthenaEngine, bindParameters } from '../../local/athena-engines';
import { LocalAthena } from '../../local/athena-server';

let athena: LocalAthena;
let client: AthenaClient;
let connection: DuckDBConnection;
let prepared = 0;

beforeAll(async () => {
  connection = await (await DuckDBInstance.create(':memory:')).connect();
  for (const s of trinoCompatSql()) await connection.run(s);
  await connection.run('CREATE SCHEMA medallion_test_silver');
  await connection.run(`CREATE TABLE medallion_test_silver.things AS SELECT * FROM (VALUES
    (1::BIGINT, 10::INTEGER, 'a', 7.04::DECIMAL(18,2), 0.5::DOUBLE, true, DATE '2020-11-01', TIMESTAMP '2024-03-01 10:15:30.12'),
    (2, 20, 'b', 0.10, 1.5, false, DATE '2020-11-02', TIMESTAMP '2024-03-01 10:15:30'),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (4, 40, 'd', 4.00, 4.0, true, DATE '2020-11-04', TIMESTAMP '2024-03-04 00:00:00'),
    (5, 50, 'e', 5.00, 5.0, true, DATE '2020-11-05', TIMESTAMP '2024-03-05 00:00:00')
  ) t(id, n, s, amount, ratio, flag, day, ts)`);
  athena = new LocalAthena({ engine: new DuckDBAthenaEngine({ connection, prepare: async () => void prepared++ }), outputLocation: 's3://results' });
  const endpoint = await athena.start();
  client = new AthenaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});
afterAll(async () => {
  client?.destroy();
  await athena?.close();
});

async function run(query: string, extra: { database?: string; parameters?: string[] } = {}) {
  const { QueryExecutionId } = await client.send(
    new StartQueryExecutionCommand({ QueryString: query, WorkGroup: 'wg', QueryExecutionContext: extra.database ? { Database: extra.database } : undefined, ExecutionParameters: extra.parameters }),
  );
  for (;;) {
    const { QueryExecution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId }));
    const state = QueryExecution!.Status!.State!;
    if (!['QUEUED', 'RUNNING'].includes(state)) return { id: QueryExecutionId!, execution: QueryExecution! };
    await new Promise((r) => setTimeout(r, 10));
  }
}

const values = (page: GetQueryResultsOutput) => page.ResultSet!.Rows!.map((r) => r.Data!.map((d) => d.VarCharValue ?? null));

describe('local Athena through @aws-sdk/client-athena', () => {
  it('returns Athena shapes: header row, string values, nulls without a value, Trino column types', async () => {
    const { id, execution } = await run('SELECT * FROM medallion_test_silver.things WHERE id <= 3 ORDER BY id');
    expect(execution.Status!.State).toBe('SUCCEEDED');
    expect(execution.StatementType).toBe('DML');
    expect(execution.ResultConfiguration!.OutputLocation).toBe(`s3://results/${id}.csv`);
    const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
    expect(page.ResultSet!.ResultSetMetadata!.ColumnInfo!.map((c) => [c.Name, c.Type, c.Precision, c.Scale])).toEqual([
      ['id', 'bigint', 19, 0], ['n', 'integer', 10, 0], ['s', 'varchar', 2147483647, 0], ['amount', 'decimal', 18, 2], ['ratio', 'double', 17, 0], ['flag', 'boolean', 0, 0], ['day', 'date', 0, 0], ['ts', 'timestamp', 3, 0],
    ]);
    expect(values(page)).toEqual([
      ['id', 'n', 's', 'amount', 'ratio', 'flag', 'day', 'ts'],
      ['1', '10', 'a', '7.04', '0.5', 'true', '2020-11-01', '2024-03-01 10:15:30.120'],
      ['2', '20', 'b', '0.10', '1.5', 'false', '2020-11-02', '2024-03-01 10:15:30.000'],
      ['3', null, null, null, null, null, null, null],
    ]);
    expect(page.NextToken).toBeUndefined();
  });

  it('pages with NextToken: every row exactly once, the header only on the first page', async () => {
    const { id } = await run('SELECT id FROM medallion_test_silver.things ORDER BY id');
    const pages: (string | null)[][][] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 2, NextToken: token }));
      pages.push(values(page));
      token = page.NextToken;
    } while (token);
    expect(pages).toEqual([[['id'], ['1']], [['2'], ['3']], [['4'], ['5']]]);
  });

  it('reports a failed query with the engine reason, and refuses its results', async () => {
    const { id, execution } = await run('SELEC 1');
    expect(execution.Status!.State).toBe('FAILED');
    expect(execution.Status!.StateChangeReason).toMatch(/^Parser Error: syntax error at or near "SELEC"/);
    await expect(client.send(new GetQueryResultsCommand({ QueryExecutionId: id }))).rejects.toThrow(InvalidRequestException);
  });

  it('answers an unknown query id with InvalidRequestException', async () => {
    await expect(client.send(new GetQueryExecutionCommand({ QueryExecutionId: 'nope' }))).rejects.toThrow('QueryExecution nope was not found');
  });

  it('binds ExecutionParameters as literals and refuses anything else', async () => {
    const { id } = await run('SELECT s FROM things WHERE id = ? OR s = ?', { database: 'medallion_test_silver', parameters: ['4', "'e'"] });
    expect(values(await client.send(new GetQueryResultsCommand({ QueryExecutionId: id })))).toEqual([['s'], ['d'], ['e']]);
    await expect(run('SELECT 1 WHERE 1 = ?', { parameters: ["1; DROP TABLE things"] })).rejects.toThrow('ExecutionParameters must be SQL literals; got "1; DROP TABLE things"');
    expect(() => bindParameters("SELECT '?' , ?", [])).toThrow('the query has more ? placeholders than the 0 ExecutionParameters given');
  });

  it('refreshes the table definitions before every query', async () => {
    const before = prepared;
    await run('SELECT 1');
    expect(prepared).toBe(before + 1);
  });

  it('honours ResultReuseConfiguration: the same query text and parameters within the age reuse the result without running', async () => {
    const reuse = { ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: 5 } };
    const start = (parameters: string[], config = reuse) =>
      client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT s FROM medallion_test_silver.things WHERE id = ?', WorkGroup: 'wg', ExecutionParameters: parameters, ResultReuseConfiguration: config }));
    const first = await start(['5']);
    await run('SELECT 1'); // queued after the first: once it is done, so is the first
    const runs = athena.engineRuns;
    const preparedBefore = prepared;
    const second = await start(['5']);
    const described = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: second.QueryExecutionId }));
    expect(second.QueryExecutionId).not.toBe(first.QueryExecutionId);
    expect(described.QueryExecution!.Status!.State).toBe('SUCCEEDED');
    expect(described.QueryExecution!.Statistics!.ResultReuseInformation).toEqual({ ReusedPreviousResult: true });
    expect(values(await client.send(new GetQueryResultsCommand({ QueryExecutionId: second.QueryExecutionId })))).toEqual([['s'], ['e']]);
    expect([athena.engineRuns, prepared]).toEqual([runs, preparedBefore]);
    // Other parameters, or reuse turned off: the query runs.
    const other = await start(['4']);
    const off = await start(['5'], { ResultReuseByAgeConfiguration: { Enabled: false, MaxAgeInMinutes: 5 } });
    await run('SELECT 1');
    for (const id of [other.QueryExecutionId, off.QueryExecutionId]) {
      const d = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      expect(d.QueryExecution!.Statistics!.ResultReuseInformation).toEqual({ ReusedPreviousResult: false });
    }
    expect(athena.engineRuns).toBe(runs + 3);
  });
});
