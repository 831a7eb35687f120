import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadContracts, loadGoldContracts, parseGoldContract, type DatasetContract } from '../../lambdas/shared/contracts';
import { goldDatasets, goldSqlText, lintGoldSql, renderGoldSql, trinoCompatSql } from '../../lambdas/shared/gold';
import { sqlIdent, sqlString } from '../../lambdas/transform/sql';
import { buildGold } from '../../local/gold';

const contracts = loadContracts();
const contract = (name: string): DatasetContract => contracts.find((c) => c.name === name)!;
const DATABASES = { silver: 'medallion_test_silver', gold: 'medallion_test_gold', ops: 'medallion_test_ops' };

type Row = Record<string, string | number | null>;

/** Writes rows as one silver Parquet object per partition, as the transform would, with lineage. */
async function writeSilver(dir: string, dataset: string, fileId: string, ingestedAt: string, rows: Row[]): Promise<void> {
  const c = contract(dataset);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`SET TimeZone = 'UTC'`);
  const byDt = new Map<string, Row[]>();
  for (const row of rows) {
    const dt = String(row[c.eventTimeColumn]).slice(0, 10);
    byDt.set(dt, [...(byDt.get(dt) ?? []), row]);
  }
  for (const [dt, partition] of byDt) {
    const selects = partition.map((row) => {
      const columns = c.properties.map((p) => {
        const v = row[p.name];
        const literal = v === null || v === undefined ? 'NULL' : p.type.logicalType === 'timestamp' ? `CAST(${sqlString(String(v))} AS TIMESTAMPTZ)` : sqlString(String(v));
        return `CAST(${literal} AS ${p.type.duckdbType}) AS ${sqlIdent(p.name)}`;
      });
      return `SELECT ${columns.join(', ')}, 'k' AS _source_key, 'v' AS _source_version, ${sqlString(fileId)} AS _file_id, CAST(CAST(${sqlString(ingestedAt)} AS TIMESTAMPTZ) AS TIMESTAMP) AS _ingested_at`;
    });
    const out = join(dir, dataset, `dt=${dt}`);
    mkdirSync(out, { recursive: true });
    await conn.run(`COPY (${selects.join(' UNION ALL ')}) TO ${sqlString(join(out, `${fileId}.parquet`))} (FORMAT parquet)`);
  }
  conn.closeSync();
}

const print = (day: string, user: number, vp: string, position = 0): Row => ({ day, user_id: user, value_prop: vp, position });
const event = (id: string, session: string, user: string, type: string, ts: string): Row => ({ event_id: id, session_id: session, user_id: user, event_type: type, timestamp: ts, device: null, properties: null });
const tx = (id: string, session: string, amount: string, currency: string, status: string, ts: string): Row => ({ transaction_id: id, session_id: session, user_id: 'u', amount, currency, status, timestamp: ts });
const user = (id: string, country: string, device: string, updated: string): Row => ({ user_id: id, email: 'hash', country, device, signup_date: '2023-01-01', updated_at: updated });

function csv(path: string): string[] {
  return readFileSync(path, 'utf8').trim().split('\n');
}

let out: string;
beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'gold-'));
  const silver = join(root, 'silver');
  const day1 = '2024-03-01T12:00:00Z';
  const day2 = '2024-03-02T12:00:00Z';
  await writeSilver(silver, 'prints', 'p1', day1, [
    print('2020-11-28', 1, 'point', 0),
    print('2020-11-28', 1, 'point', 0), // a duplicate print: both rows stay
    print('2020-11-22', 1, 'point', 1),
    print('2020-11-21', 1, 'point', 2),
    print('2020-11-07', 1, 'point', 2), // day − 21 of 11-28: inside its window
    print('2020-11-06', 1, 'point', 2), // day − 22 of 11-28: outside; inside the window of 11-22
    print('2020-11-28', 2, 'transport', 3), // a user with no history
  ]);
  await writeSilver(silver, 'taps', 't1', day1, [print('2020-11-28', 1, 'point', 0), print('2020-11-21', 1, 'point', 2)]);
  await writeSilver(silver, 'pays', 'y1', day1, [
    { pay_date: '2020-11-27', total: '10.50', user_id: 1, value_prop: 'point' },
    { pay_date: '2020-11-10', total: '5.25', user_id: 1, value_prop: 'point' },
    { pay_date: '2020-11-28', total: '100.00', user_id: 1, value_prop: 'point' }, // the print's own day: excluded
  ]);
  await writeSilver(silver, 'events', 'ea', day1, [
    event('e1', 's1', 'u-1', 'login', '2024-03-01T10:00:00Z'),
    event('e2', 's1', 'u-1', 'search', '2024-03-01T10:01:00Z'),
    event('e3', 's1', 'u-1', 'search', '2024-03-01T10:02:00Z'),
    event('e4', 's1', 'u-1', 'add_to_cart', '2024-03-01T10:03:00Z'),
    event('e5', 's2', 'u-2', 'page_view', '2024-03-01T11:00:00Z'),
    event('e6', 's2', 'u-2', 'search', '2024-03-01T11:05:00Z'),
    event('e7', 's3', 'u-9', 'login', '2024-03-01T23:30:00Z'), // an unknown user
  ]);
  await writeSilver(silver, 'events', 'eb', day2, [
    event('e4', 's1', 'u-1', 'add_to_cart', '2024-03-01T10:03:00Z'), // delivered again in a later file
    event('e8', 's1', 'u-1', 'checkout', '2024-03-01T10:30:00Z'), // a late event of s1
  ]);
  await writeSilver(silver, 'transactions', 'ta', day1, [
    tx('t1', 's1', '19.90', 'USD', 'completed', '2024-03-01T10:31:00Z'),
    tx('t2', 's1', '5.00', 'USD', 'completed', '2024-03-01T10:20:00Z'),
    tx('t3', 's2', '7.00', 'ARS', 'failed', '2024-03-01T11:10:00Z'),
  ]);
  await writeSilver(silver, 'transactions', 'tb', day2, [tx('t3', 's2', '7.00', 'ARS', 'completed', '2024-03-01T11:10:00Z')]);
  await writeSilver(silver, 'users', 'ua', day1, [
    user('u-1', 'PE', 'mobile', '2024-02-01T00:00:00Z'),
    user('u-1', 'AR', 'desktop', '2024-02-10T00:00:00Z'),
    user('u-2', 'BR', 'web', '2024-02-01T00:00:00Z'),
  ]);
  // Ingested later, but older: the latest updated_at wins.
  await writeSilver(silver, 'users', 'ub', day2, [user('u-1', 'CL', 'tablet', '2024-01-01T00:00:00Z')]);
  const manifests = join(root, 'manifests');
  mkdirSync(manifests);
  writeFileSync(
    join(manifests, 'a.json'),
    JSON.stringify({ dataset: 'prints', key: 'prints/a.json', status: 'ingested', rows_in: 10, rows_valid: 9, rows_quarantined: 1, processed_at: '2024-03-01T12:00:01.500Z' }),
  );
  writeFileSync(join(manifests, 'b.json'), JSON.stringify({ dataset: null, key: 'x.json', status: 'rejected', rows_in: 0, rows_valid: 0, rows_quarantined: 0, processed_at: '2024-03-01T12:00:02Z' }));
  out = join(root, 'gold');
  await buildGold({ contracts, silverDir: silver, manifestsDir: manifests, databases: DATABASES, asOf: '2020-11-28', outDir: out });
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
    expect(() => parseGoldContract(text, 'contracts/gold/daily_kpis.yaml')).toThrow("at /schema/0/customProperties/0/property: unknown custom property 'sourceFormat' (fix: Gold contracts take no custom properties; remove it)");
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

  it('date minus an interval stays a day', async () => {
    expect(await query(`SELECT CAST(CAST(DATE '2020-11-28' - INTERVAL '21' DAY AS DATE) AS VARCHAR)`)).toEqual([['2020-11-07']]);
  });
});
