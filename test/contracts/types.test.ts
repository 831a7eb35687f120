import { SUPPORTED_LOGICAL_TYPES, resolveColumnType, type LogicalType } from '../../lambdas/shared/contracts';

describe('type mapping: every accepted logical/physical pair to Glue and DuckDB', () => {
  it.each<[LogicalType, string, string, string]>([
    ['string', 'string', 'string', 'VARCHAR'],
    ['string', 'varchar(64)', 'varchar(64)', 'VARCHAR'],
    ['string', 'VARCHAR( 3 )', 'varchar(3)', 'VARCHAR'],
    ['integer', 'tinyint', 'tinyint', 'TINYINT'],
    ['integer', 'smallint', 'smallint', 'SMALLINT'],
    ['integer', 'int', 'int', 'INTEGER'],
    ['integer', 'integer', 'int', 'INTEGER'],
    ['integer', 'bigint', 'bigint', 'BIGINT'],
    ['number', 'decimal(18,2)', 'decimal(18,2)', 'DECIMAL(18,2)'],
    ['number', 'decimal(38, 0)', 'decimal(38,0)', 'DECIMAL(38,0)'],
    ['number', 'double', 'double', 'DOUBLE'],
    ['number', 'float', 'float', 'FLOAT'],
    ['number', 'real', 'float', 'FLOAT'],
    ['boolean', 'boolean', 'boolean', 'BOOLEAN'],
    ['date', 'date', 'date', 'DATE'],
    ['timestamp', 'timestamp', 'timestamp', 'TIMESTAMP'],
    ['object', 'json', 'string', 'VARCHAR'],
  ])('%s / %s → Glue %s, DuckDB %s', (logical, physical, glue, duckdb) => {
    const type = resolveColumnType(logical, physical);
    expect(typeof type).toBe('object');
    expect(type).toMatchObject({ logicalType: logical, glueType: glue, duckdbType: duckdb });
  });

  it('keeps precision and scale of decimals and the length of varchars', () => {
    expect(resolveColumnType('number', 'decimal(18,2)')).toMatchObject({ precision: 18, scale: 2 });
    expect(resolveColumnType('string', 'varchar(64)')).toMatchObject({ maxLength: 64 });
  });

  it('covers every supported logical type', () => {
    const covered = new Set(['string', 'integer', 'number', 'boolean', 'date', 'timestamp', 'object']);
    expect([...SUPPORTED_LOGICAL_TYPES].sort()).toEqual([...covered].sort());
  });

  it.each<[LogicalType, string, string]>([
    ['integer', 'double', "physicalType 'double' does not fit logicalType 'integer'; accepted: tinyint, smallint, int, bigint"],
    ['number', 'decimal(10,12)', 'decimal scale 12 is larger than its precision 10'],
    ['number', 'decimal(0,0)', 'decimal precision 0 is outside 1..38'],
    ['number', 'numeric', "physicalType 'numeric' does not fit logicalType 'number'; accepted: decimal(p,s), double, float, real"],
    ['string', 'varchar(0)', 'varchar length 0 is outside 1..65535'],
    ['date', 'timestamp', "physicalType 'timestamp' does not fit logicalType 'date'; accepted: date"],
    ['timestamp', 'timestamptz', "physicalType 'timestamptz' does not fit logicalType 'timestamp'; accepted: timestamp"],
    ['object', 'struct', "physicalType 'struct' does not fit logicalType 'object'; accepted: json"],
    ['boolean', 'bool', "physicalType 'bool' does not fit logicalType 'boolean'; accepted: boolean"],
  ])('refuses %s / %s', (logical, physical, message) => {
    expect(resolveColumnType(logical, physical)).toBe(message);
  });
});
