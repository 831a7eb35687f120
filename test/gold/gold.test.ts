import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadContracts, loadGoldContracts, parseGoldContract } from '../../lambdas/shared/contracts';
import { goldDatasets, goldSqlText, lintGoldSql, renderGoldSql, trinoCompatSql } from '../../lambdas/shared/gold';
import { sqlString } from '../../lambdas/transform/sql';
import { buildGold } from '../../local/gold';
import { GOLD_FIXTURE_AS_OF, print, writeGoldFixture, writeSilver } from '../fixtures/gold-silver';

const contracts = loadContracts();
const DATABASES = { silver: 'medallion_test_silver', gold: 'medallion_test_gold', ops: 'medallion_test_ops' };

function csv(path: string): string[] {
  return readFileSync(path, 'utf8').trim().split('\n');
}

let out: string;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'gold-'));
  const { silverDir, manifestsDir } = await writeGoldFixture(root);
  out = join(root, 'gold');
  await buildGold({ contracts, silverDir, manifestsDir, databases: DATABASES, asOf: GOLD_FIXTURE_AS_OF, outDir: out });
});

describe('Gold datasets built locally from the deployed SQL', () => {
  it('value_prop_features: window edges, duplicates, zero history, click and amounts', () => {
    expect(csv(join(out, 'value_prop_features.csv'))).toEqual([
      'day,user_id,value_prop,position,clicked,prints_3w,taps_3w,pays_3w,amount_3w',
      '2020-11-22,1,point,1,false,3,1,1,5.25',
      '2020-11-28,1,point,0,true,3,1,2,15.75',
      '2020-11-28,1,point,0,true,3,1,2,15.75',
      '2020-11-28,2,transport,3,false,0,0,0,0.00',
    ]);
  });

  it('user_session_analysis: deduplicated and late events, most frequent type with ties, latest completed transaction, unknown user', () => {
    expect(csv(join(out, 'user_session_analysis.csv'))).toEqual([
      'session_id,user_id,user_country,user_device,session_start_time,session_end_time,total_events,event_type,transaction_id,amount,currency,is_conversion',
      's1,u-1,AR,desktop,2024-03-01T10:00:00.000000Z,2024-03-01T10:30:00.000000Z,5,search,t1,19.90,USD,true',
      's2,u-2,BR,web,2024-03-01T11:00:00.000000Z,2024-03-01T11:05:00.000000Z,2,page_view,t3,7.00,ARS,true',
      's3,u-9,,,2024-03-01T23:30:00.000000Z,2024-03-01T23:30:00.000000Z,1,login,,,,false',
    ]);
  });

  it('daily_kpis: sessions, active users and a double conversion rate', () => {
    expect(csv(join(out, 'daily_kpis.csv'))).toEqual(['date,sessions,active_users,converted_sessions,conversion_rate', '2024-03-01,3,3,2,0.6666666666666666']);
  });

  it('daily_revenue: completed transactions only, the latest row of a transaction wins, per currency', () => {
    expect(csv(join(out, 'daily_revenue.csv'))).toEqual(['date,currency,transactions,revenue', '2024-03-01,ARS,1,7.00', '2024-03-01,USD,2,24.90']);
  });

  it('data_quality_history: one row per manifest', () => {
    expect(csv(join(out, 'data_quality_history.csv'))).toEqual([
      'dataset,source_key,status,rows_in,rows_valid,rows_quarantined,processed_at',
      'prints,prints/a.json,ingested,10,9,1,2024-03-01T12:00:01.500000Z',
      ',x.json,rejected,0,0,0,2024-03-01T12:00:02.000000Z',
    ]);
  });
});

describe('Gold CSV exports are safe to open in a spreadsheet (CSV injection)', () => {
  let dir: string;
  beforeAll(async () => {
    const root = mkdtempSync(join(tmpdir(), 'gold-csv-'));
    const values = ['=HYPERLINK("http://x","y")', '+1+2', '-2+3', '@SUM(A1)', '\tx', '\rx', 'plain', "it's -ok", "'quoted"];
    await writeSilver(join(root, 'silver'), 'prints', 'p1', '2024-03-01T12:00:00Z', [...values.map((v, i) => print('2020-11-28', i + 1, v, i)), print('2020-11-27', 1, '-neg', -3)]);
    await writeSilver(join(root, 'silver'), 'pays', 'y1', '2024-03-01T12:00:00Z', [{ pay_date: '2020-11-20', total: '-2.50', user_id: 1, value_prop: '-neg' }]);
    mkdirSync(join(root, 'manifests'));
    dir = join(root, 'gold');
    await buildGold({ contracts, silverDir: join(root, 'silver'), manifestsDir: join(root, 'manifests'), databases: DATABASES, asOf: '2020-11-28', outDir: dir });
  });

  it('prefixes text cells starting with = + - @ tab or CR with a quote; numbers (negative too), dates, booleans stay as they are', () => {
    expect(readFileSync(join(dir, 'value_prop_features.csv'), 'utf8')).toBe(
      [
        'day,user_id,value_prop,position,clicked,prints_3w,taps_3w,pays_3w,amount_3w',
        "2020-11-27,1,'-neg,-3,false,0,0,1,-2.50",
        "2020-11-28,1,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",0,false,0,0,0,0.00",
        "2020-11-28,2,'+1+2,1,false,0,0,0,0.00",
        "2020-11-28,3,'-2+3,2,false,0,0,0,0.00",
        "2020-11-28,4,'@SUM(A1),3,false,0,0,0,0.00",
        "2020-11-28,5,'\tx,4,false,0,0,0,0.00",
        "2020-11-28,6,\"'\rx\",5,false,0,0,0,0.00",
        '2020-11-28,7,plain,6,false,0,0,0,0.00',
        "2020-11-28,8,it's -ok,7,false,0,0,0,0.00",
        "2020-11-28,9,'quoted,8,false,0,0,0,0.00",
        '',
      ].join('\n'),
    );
  });

  it('keeps the values unchanged in the Parquet output', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const rows = (await conn.runAndReadAll(`SELECT value_prop, position FROM read_parquet(${sqlString(join(dir, 'value_prop_features.parquet'))}) ORDER BY user_id, day`)).getRows();
    conn.closeSync();
    expect(rows.slice(0, 2)).toEqual([['-neg', -3], ['=HYPERLINK("http://x","y")', 0]]);
  });
});

describe('Gold output contracts (contracts/gold)', () => {
  const gold = loadGoldContracts();

  it('exist for exactly the datasets of sql/gold', () => {
    expect(gold.map((c) => c.name).sort()).toEqual([...goldDatasets()].sort());
  });

  it.each(gold.map((c) => [c.name, c] as const))('%s: the built output has exactly the contract columns and types', async (name, c) => {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlString(join(out, `${name}.parquet`))})`)).getRowObjectsJson();
    conn.closeSync();
    expect(described.map((r) => `${r.column_name}:${r.column_type}`)).toEqual(c.properties.map((p) => `${p.name}:${p.type.duckdbType}`));
  });

  it('refuses source settings on a Gold contract', () => {
    const text = readFileSync(join(__dirname, '..', '..', 'contracts', 'gold', 'daily_kpis.yaml'), 'utf8').replace(
      '    physicalType: view\n',
      '    physicalType: view\n    customProperties:\n      - property: sourceFormat\n        value: csv\n',
    );
    expect(() => parseGoldContract(text, 'contracts/gold/daily_kpis.yaml')).toThrow("at /schema/0/customProperties/0/property: unknown custom property 'sourceFormat' (fix: use one of: asOfSource)");
  });
});

describe('Gold datasets are the files of sql/gold', () => {
  it('in dependency order', () => {
    expect(goldDatasets()).toEqual(['user_session_analysis', 'daily_kpis', 'daily_revenue', 'data_quality_history', 'value_prop_features']);
  });

  it('refuses a reference to a dataset that has no file, and cycles', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sql-'));
    mkdirSync(join(dir, 'gold'));
    writeFileSync(join(dir, 'gold', 'a.sql'), 'SELECT * FROM ${gold}.b');
    expect(() => goldDatasets(dir)).toThrow('sql/gold/a.sql reads ${gold}.b, but there is no sql/gold/b.sql');
    writeFileSync(join(dir, 'gold', 'b.sql'), 'SELECT * FROM ${gold}.a');
    expect(() => goldDatasets(dir)).toThrow('sql/gold/a.sql is part of a dependency cycle: a → b → a');
  });
});

describe('portable SQL', () => {
  it.each(goldDatasets().map((d) => [d]))('%s uses only syntax and functions that behave the same on Athena and DuckDB', (dataset) => {
    expect(lintGoldSql(goldSqlText(dataset))).toEqual([]);
  });

  it.each([
    ['SELECT x::INTEGER FROM t', "'::' casts are DuckDB/PostgreSQL syntax; use CAST(x AS type)"],
    ['SELECT * FROM t QUALIFY row_number() OVER () = 1', 'QUALIFY is not in Trino; filter a row_number() in an outer query'],
    ['SELECT a, count(*) FROM t GROUP BY ALL', 'GROUP BY ALL is not in Trino; list the grouping expressions'],
    ['SELECT `a` FROM t', 'backticks are not SQL identifiers in Trino; use double quotes'],
    ['SELECT list_sum(x) FROM t', 'function list_sum() has no tested equivalent on both engines; use one of count, sum, min, max, avg, coalesce, cast, row_number, min_by, max_by, nullif, or add a compatibility macro with a test'],
  ])('rejects %s', (sql, message) => {
    expect(lintGoldSql(sql)).toEqual([{ line: 1, message }]);
  });

  it('refuses a placeholder it does not know', () => {
    expect(() => renderGoldSql('SELECT * FROM ${bronze}.x', { silver: 's', gold: 'g', ops: 'o', as_of: 'DATE ...' })).toThrow('unknown placeholder ${bronze} in Gold SQL; known: silver, gold, ops, as_of');
  });
});

describe('Trino compatibility layer on DuckDB', () => {
  async function query(sql: string): Promise<unknown[][]> {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    for (const s of trinoCompatSql()) await c.run(s);
    const rows = (await c.runAndReadAll(sql)).getRows();
    c.closeSync();
    return rows;
  }

  it('divides integers like Trino', async () => {
    expect(await query('SELECT 7 / 2, CAST(7 AS DOUBLE) / 2')).toEqual([[3, 3.5]]);
  });

  it("from_iso8601_timestamp reads Z and offsets; AT TIME ZONE 'UTC' then CAST gives the UTC time, as on Trino", async () => {
    // On Trino CAST(from_iso8601_timestamp('…-03:00') AS TIMESTAMP) keeps the wall-clock 10:15:30.120, while
    // DuckDB converts to UTC: the Gold SQL lint refuses that form, and the portable one gives UTC on both.
    expect(
      await query(
        `SELECT CAST(CAST(from_iso8601_timestamp('2024-03-01T10:15:30.120-03:00') AT TIME ZONE 'UTC' AS TIMESTAMP) AS VARCHAR), CAST(CAST(from_iso8601_timestamp('2024-03-01T10:15:30Z') AT TIME ZONE 'UTC' AS TIMESTAMP) AS VARCHAR)`,
      ),
    ).toEqual([['2024-03-01 13:15:30.12', '2024-03-01 10:15:30']]);
    expect(lintGoldSql('SELECT CAST(from_iso8601_timestamp(processed_at) AS TIMESTAMP) FROM m').map((p) => p.message)).toEqual([
      "CAST(from_iso8601_timestamp(x) AS TIMESTAMP) keeps the wall-clock time of an offset on Trino and converts to UTC on DuckDB; write CAST(from_iso8601_timestamp(x) AT TIME ZONE 'UTC' AS TIMESTAMP)",
    ]);
    expect(lintGoldSql("SELECT CAST(from_iso8601_timestamp(processed_at) AT TIME ZONE 'UTC' AS TIMESTAMP) FROM m")).toEqual([]);
  });

  it('to_iso8601 prints a date as YYYY-MM-DD and a timestamp with milliseconds, as Trino does (the freshness check reads it)', async () => {
    expect(await query(`SELECT to_iso8601(DATE '2020-11-28'), to_iso8601(TIMESTAMP '2024-03-03 12:30:15.5'), to_iso8601(TIMESTAMPTZ '2024-03-03 12:30:15Z'), to_iso8601(CAST(NULL AS DATE))`)).toEqual([
      ['2020-11-28', '2024-03-03T12:30:15.500', '2024-03-03T12:30:15.000Z', null],
    ]);
  });

  it('date minus an interval stays a day', async () => {
    expect(await query(`SELECT CAST(CAST(DATE '2020-11-28' - INTERVAL '21' DAY AS DATE) AS VARCHAR)`)).toEqual([['2020-11-07']]);
  });
});
