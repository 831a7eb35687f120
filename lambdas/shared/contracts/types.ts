/**
 * Column types: the one place where an ODCS logical/physical type pair becomes a Glue (Hive) type for the
 * catalog and a DuckDB type for the transform. Infrastructure and runtime both read it, so the table
 * Athena sees and the Parquet the transform writes cannot drift apart.
 */

/** ODCS v3.1 logical types this platform supports. ODCS also defines `time` and `array`; see UNSUPPORTED. */
export const SUPPORTED_LOGICAL_TYPES = ['string', 'integer', 'number', 'boolean', 'date', 'timestamp', 'object'] as const;
export type LogicalType = (typeof SUPPORTED_LOGICAL_TYPES)[number];

/** ODCS logical types we refuse, with the reason shown to the contract author. */
export const UNSUPPORTED_LOGICAL_TYPES: Readonly<Record<string, string>> = {
  time: 'a time of day without a date has no Parquet/Athena type that behaves the same in Trino and DuckDB; use string with a pattern, or timestamp',
  array: 'nested arrays are not flattened by the transform; use logicalType object with physicalType json to keep the value as a JSON string',
};

export interface ColumnType {
  readonly logicalType: LogicalType;
  /** The physical type as written in the contract, normalised to lower case without spaces. */
  readonly physicalType: string;
  /** Glue / Hive DDL type used in the silver table. */
  readonly glueType: string;
  /** DuckDB type used when reading and writing the column. */
  readonly duckdbType: string;
  /** Present for decimal columns. */
  readonly precision?: number;
  readonly scale?: number;
  /** Present for varchar(n) columns. */
  readonly maxLength?: number;
}

interface PhysicalRule {
  readonly pattern: RegExp;
  readonly example: string;
  readonly build: (m: RegExpMatchArray) => Omit<ColumnType, 'logicalType' | 'physicalType'> | string;
}

const INTEGER_TYPES: Readonly<Record<string, [string, string]>> = {
  tinyint: ['tinyint', 'TINYINT'],
  smallint: ['smallint', 'SMALLINT'],
  int: ['int', 'INTEGER'],
  integer: ['int', 'INTEGER'],
  bigint: ['bigint', 'BIGINT'],
};

const PHYSICAL_RULES: Readonly<Record<LogicalType, readonly PhysicalRule[]>> = {
  string: [
    { pattern: /^string$/, example: 'string', build: () => ({ glueType: 'string', duckdbType: 'VARCHAR' }) },
    {
      pattern: /^varchar\((\d+)\)$/,
      example: 'varchar(n)',
      build: (m) => {
        const n = Number(m[1]);
        if (n < 1 || n > 65535) return `varchar length ${n} is outside 1..65535`;
        return { glueType: `varchar(${n})`, duckdbType: 'VARCHAR', maxLength: n };
      },
    },
  ],
  integer: [
    {
      pattern: /^(tinyint|smallint|int|integer|bigint)$/,
      example: 'tinyint, smallint, int, bigint',
      build: (m) => {
        const [glueType, duckdbType] = INTEGER_TYPES[m[1]];
        return { glueType, duckdbType };
      },
    },
  ],
  number: [
    {
      pattern: /^decimal\((\d+),(\d+)\)$/,
      example: 'decimal(p,s)',
      build: (m) => {
        const precision = Number(m[1]);
        const scale = Number(m[2]);
        if (precision < 1 || precision > 38) return `decimal precision ${precision} is outside 1..38`;
        if (scale > precision) return `decimal scale ${scale} is larger than its precision ${precision}`;
        return { glueType: `decimal(${precision},${scale})`, duckdbType: `DECIMAL(${precision},${scale})`, precision, scale };
      },
    },
    { pattern: /^double$/, example: 'double', build: () => ({ glueType: 'double', duckdbType: 'DOUBLE' }) },
    { pattern: /^(float|real)$/, example: 'float, real', build: () => ({ glueType: 'float', duckdbType: 'FLOAT' }) },
  ],
  boolean: [{ pattern: /^boolean$/, example: 'boolean', build: () => ({ glueType: 'boolean', duckdbType: 'BOOLEAN' }) }],
  date: [{ pattern: /^date$/, example: 'date', build: () => ({ glueType: 'date', duckdbType: 'DATE' }) }],
  timestamp: [
    { pattern: /^timestamp$/, example: 'timestamp', build: () => ({ glueType: 'timestamp', duckdbType: 'TIMESTAMP' }) },
  ],
  object: [{ pattern: /^json$/, example: 'json', build: () => ({ glueType: 'string', duckdbType: 'VARCHAR' }) }],
};

/** The physical types accepted for a logical type, as examples for error messages and docs. */
export function acceptedPhysicalTypes(logicalType: LogicalType): string[] {
  return PHYSICAL_RULES[logicalType].map((r) => r.example);
}

export function isSupportedLogicalType(value: string): value is LogicalType {
  return (SUPPORTED_LOGICAL_TYPES as readonly string[]).includes(value);
}

/**
 * Resolves a logical/physical pair. Returns the column type, or a sentence saying why the pair is refused.
 */
export function resolveColumnType(logicalType: LogicalType, physicalType: string): ColumnType | string {
  const normalised = physicalType.toLowerCase().replace(/\s+/g, '');
  for (const rule of PHYSICAL_RULES[logicalType]) {
    const m = normalised.match(rule.pattern);
    if (!m) continue;
    const built = rule.build(m);
    if (typeof built === 'string') return built;
    return { logicalType, physicalType: normalised, ...built };
  }
  return `physicalType '${physicalType}' does not fit logicalType '${logicalType}'; accepted: ${acceptedPhysicalTypes(logicalType).join(', ')}`;
}
