import { DuckDBInstance } from '@duckdb/node-api';
import { ContractError, loadContracts, loadGoldContracts, parseGoldContract } from '../../lambdas/shared/contracts';
import { asOfColumns, asOfExpression, datasetAsOfExpression, latestEventDateSql } from '../../lambdas/shared/quality';

const contracts = { sources: loadContracts(), gold: loadGoldContracts() };

describe('default as-of date of a Gold dataset', () => {
  it("is the declared asOfSource's latest event date: value_prop_features reads prints, taps and pays but dates by prints", () => {
    expect(asOfColumns('value_prop_features', contracts)).toEqual([{ table: 'prints', column: 'day', isDate: true }]);
    expect(datasetAsOfExpression('value_prop_features', 'silver', undefined)).toBe('(SELECT max("day") FROM silver.prints)');
  });

  it('else the silver datasets its SQL reads, directly or through other Gold datasets; timestamps count by their date', () => {
    expect(asOfColumns('daily_revenue', contracts)).toEqual([{ table: 'transactions', column: 'timestamp', isDate: false }]);
    expect(datasetAsOfExpression('daily_revenue', 'silver', undefined)).toBe('(SELECT CAST(max("timestamp") AS DATE) FROM silver.transactions)');
    expect(asOfColumns('daily_kpis', contracts).map((c) => c.table)).toEqual(['events', 'transactions', 'users']);
  });

  it('a dataset reading no silver table (only the operations tables) takes the latest event date of every source', () => {
    expect(asOfColumns('data_quality_history', contracts).map((c) => c.table)).toEqual(contracts.sources.map((c) => c.name));
  });

  it('a given date wins, and must be YYYY-MM-DD', () => {
    expect(datasetAsOfExpression('daily_revenue', 'silver', '2026-11-01')).toBe("DATE '2026-11-01'");
    expect(() => asOfExpression('silver', '1/11/2026', [])).toThrow("as-of date must be YYYY-MM-DD, got '1/11/2026'");
  });

  it('an asOfSource naming no source dataset is an error naming the contract', () => {
    const gold = [{ ...contracts.gold.find((c) => c.name === 'daily_revenue')!, asOfSource: 'orders' }];
    expect(() => asOfColumns('daily_revenue', { sources: contracts.sources, gold })).toThrow(
      "contracts/gold/daily_revenue.yaml at /schema/0/customProperties: asOfSource 'orders' is not a source dataset (fix: use one of: events, pays, prints, taps, transactions, users)",
    );
  });

  it('asOfSource must be a dataset name', () => {
    const text = `apiVersion: v3.1.0
kind: DataContract
id: urn:x:gold:g
name: g
version: 1.0.0
status: active
schema:
  - name: g
    physicalType: view
    customProperties:
      - property: asOfSource
        value: [prints]
    properties:
      - name: d
        logicalType: date
        physicalType: date
`;
    expect(() => parseGoldContract(text, 'contracts/gold/g.yaml')).toThrow(
      new ContractError([
        {
          file: 'contracts/gold/g.yaml',
          path: '/schema/0/customProperties/0/value',
          line: 12,
          column: 16,
          reason: 'asOfSource must be the name of a source dataset, got ["prints"]',
          hint: 'e.g. value: orders (the silver dataset whose latest event date is the default as-of date)',
        },
      ]),
    );
  });

  it('the SQL of several sources is the latest date over all of them, empty tables ignored (run on DuckDB)', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run('CREATE SCHEMA silver');
    await c.run(`CREATE TABLE silver.a ("day" DATE); INSERT INTO silver.a VALUES ('2026-11-01'), ('2026-11-03')`);
    await c.run(`CREATE TABLE silver.b ("timestamp" TIMESTAMP); INSERT INTO silver.b VALUES ('2026-11-04 23:59:59'), ('2026-10-01 00:00:00')`);
    await c.run('CREATE TABLE silver.empty ("day" DATE)');
    const columns = [
      { table: 'a', column: 'day', isDate: true },
      { table: 'b', column: 'timestamp', isDate: false },
      { table: 'empty', column: 'day', isDate: true },
    ];
    const sql = latestEventDateSql('silver', columns);
    expect(sql).toBe(
      '(SELECT max(event_date) FROM (SELECT max("day") AS event_date FROM silver.a UNION ALL SELECT CAST(max("timestamp") AS DATE) AS event_date FROM silver.b UNION ALL SELECT max("day") AS event_date FROM silver.empty) AS latest)',
    );
    const value = async (q: string) => (await c.runAndReadAll(`SELECT CAST(${q} AS VARCHAR) AS v`)).getRowObjectsJson()[0].v;
    expect(await value(sql)).toBe('2026-11-04');
    expect(await value(latestEventDateSql('silver', [columns[0]]))).toBe('2026-11-03');
    expect(await value(latestEventDateSql('silver', [columns[2]]))).toBeNull();
    c.closeSync();
  });
});
