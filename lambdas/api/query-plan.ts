import { createHash } from 'node:crypto';
import { parseIsoDate, parseIsoTimestamp } from '../shared/iso-time';
import { badRequest } from './problem';
import { DEFAULT_LIMIT, MAX_LIMIT, type QueryParameters } from './routes';

/**
 * Turns the query parameters of a rows request into one parameterized Athena query. Identifiers come
 * only from the source's column allow-list (the contract); every user value becomes an ExecutionParameter
 * (a typed SQL literal) — never part of the SQL text.
 */

/** Type of a column as the API filters on it, from the contract's logical/physical type. */
export interface QueryColumn {
  readonly name: string;
  /** The contract's logical type: string, integer, number, boolean, date, timestamp, object. */
  readonly logicalType: string;
  /** The physical type (`bigint`, `decimal(18,2)`, `double`, …), reported in responses. */
  readonly physicalType: string;
  readonly description?: string;
}

/** A table the API reads: a Gold dataset, the run manifests, the quality results. */
export interface QuerySource {
  readonly name: string;
  /** Qualified table or view, already quoted. */
  readonly from: string;
  /** A fixed predicate without user input (e.g. the latest published as_of), or undefined. */
  readonly where?: string;
  readonly columns: readonly QueryColumn[];
  /** Filters and orderBy allowed (false for sources whose columns are not known in advance). */
  readonly filterable: boolean;
  /** Order when the request gives none, e.g. `-processed_at`. @default the columns in order */
  readonly defaultOrder?: readonly string[];
  /** Whether Athena may answer from a reused result (Gold changes once per build; operations data changes all the time). @default true */
  readonly reuseResults?: boolean;
}

export interface QueryPlan {
  readonly sql: string;
  /** SQL literals, one per `?` of `sql`, in order. */
  readonly parameters: readonly string[];
  readonly limit: number;
  /** Hash of everything that defines the result (source, filters, order); a nextToken is bound to it. */
  readonly fingerprint: string;
}

/** Parameters of the rows route that are not column filters. */
export const RESERVED_PARAMETERS = ['limit', 'orderBy', 'nextToken'];

export const OPERATORS = ['eq', 'ne', 'in', 'gt', 'gte', 'lt', 'lte'] as const;
type Operator = (typeof OPERATORS)[number];
const SQL_OPERATORS: Record<Exclude<Operator, 'in'>, string> = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
const RANGE_TYPES = ['integer', 'number', 'date', 'timestamp'];
/** Most values of an `in:` list. */
export const MAX_IN_VALUES = 100;

const INTEGER_RANGES: Record<string, [bigint, bigint]> = {
  tinyint: [-(2n ** 7n), 2n ** 7n - 1n],
  smallint: [-(2n ** 15n), 2n ** 15n - 1n],
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  integer: [-(2n ** 31n), 2n ** 31n - 1n],
  bigint: [-(2n ** 63n), 2n ** 63n - 1n],
};

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** The 400 of a value that does not fit its column: the parameter, the value, the expected form and, when known, what is wrong with it. */
function badValue(column: QueryColumn, value: string, expected: string, reason?: string): never {
  throw badRequest('invalid-value', `filter on '${column.name}' (${column.physicalType}): ${JSON.stringify(value)} is not ${expected}${reason ? `: ${reason}` : ''}`);
}

const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The SQL literal of a filter value typed per the column, or a 400 problem saying what was expected.
 * Strings are quoted with doubled quotes: Athena binds ExecutionParameters as literals.
 */
export function literal(column: QueryColumn, value: string): string {
  switch (column.logicalType) {
    case 'string':
      if ([...value].some((ch) => ch.charCodeAt(0) < 0x20 && !'\t\n\r'.includes(ch))) badValue(column, value, 'a string without control characters');
      return `'${value.replace(/'/g, "''")}'`;
    case 'integer': {
      if (!/^-?\d{1,19}$/.test(value)) badValue(column, value, 'an integer (digits, optional leading -)');
      const [min, max] = INTEGER_RANGES[column.physicalType] ?? INTEGER_RANGES.bigint;
      const n = BigInt(value);
      if (n < min || n > max) badValue(column, value, `within ${min}..${max}`);
      return n.toString();
    }
    case 'number': {
      const decimal = /^decimal\((\d+),(\d+)\)$/.exec(column.physicalType);
      if (!/^-?\d{1,38}(\.\d{1,38})?$/.test(value)) badValue(column, value, 'a number written as digits with an optional . and decimals (no exponent)');
      if (decimal && (value.split('.')[1]?.length ?? 0) > Number(decimal[2])) badValue(column, value, `a number with at most ${decimal[2]} decimals`);
      return value;
    }
    case 'boolean':
      if (value !== 'true' && value !== 'false') badValue(column, value, 'true or false');
      return value;
    case 'date': {
      const date = parseIsoDate(value);
      if (!date.ok) badValue(column, value, 'a date YYYY-MM-DD', date.reason);
      return `DATE '${date.value}'`;
    }
    case 'timestamp': {
      // A bare date means midnight UTC (documented); anything with a time must carry Z or an offset.
      let instant = parseIsoTimestamp(value);
      if (DATE_SHAPE.test(value)) {
        const date = parseIsoDate(value);
        instant = date.ok ? parseIsoTimestamp(`${value}T00:00:00Z`) : date;
      }
      if (!instant.ok) badValue(column, value, 'an ISO-8601 timestamp with Z or an offset (2024-03-01T10:15:30Z) or a date YYYY-MM-DD (midnight UTC)', instant.reason);
      return `TIMESTAMP '${instant.value.replace('T', ' ').replace('Z', '')}'`;
    }
    default:
      throw badRequest('unfilterable-column', `column '${column.name}' (${column.physicalType}) holds JSON text and cannot be filtered`);
  }
}

interface Condition {
  readonly sql: string;
  readonly parameters: string[];
}

/** One filter parameter value: `op:operand`, or a bare value meaning equality. */
export function condition(column: QueryColumn, raw: string): Condition {
  const m = /^([a-z]+):([\s\S]*)$/.exec(raw);
  const op = (m ? m[1] : 'eq') as Operator;
  const operand = m ? m[2] : raw;
  if (m && !(OPERATORS as readonly string[]).includes(m[1])) {
    throw badRequest(
      'unknown-operator',
      `filter on '${column.name}': unknown operator '${m[1]}' in ${JSON.stringify(raw)}; operators: ${OPERATORS.map((o) => `${o}:`).join(', ')} (a bare value means eq:; to match a value that starts with letters and ':', write eq:${raw})`,
    );
  }
  if (['gt', 'gte', 'lt', 'lte'].includes(op) && !RANGE_TYPES.includes(column.logicalType)) {
    throw badRequest('invalid-operator', `filter on '${column.name}' (${column.physicalType}): range operator '${op}:' applies to integer, number, date and timestamp columns only`);
  }
  if (column.logicalType === 'boolean' && op === 'in') throw badRequest('invalid-operator', `filter on '${column.name}' (boolean): use eq:true or eq:false`);
  const ident = quoteIdent(column.name);
  if (op === 'in') {
    const values = operand.split(',');
    if (values.length > MAX_IN_VALUES) throw badRequest('invalid-value', `filter on '${column.name}': in: takes at most ${MAX_IN_VALUES} values, got ${values.length}`);
    return { sql: `${ident} IN (${values.map(() => '?').join(', ')})`, parameters: values.map((v) => literal(column, v)) };
  }
  return { sql: `${ident} ${SQL_OPERATORS[op]} ?`, parameters: [literal(column, operand)] };
}

function parseLimit(query: QueryParameters): number {
  const raw = query.limit?.[0];
  if (raw === undefined) return DEFAULT_LIMIT;
  const n = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= MAX_LIMIT)) throw badRequest('invalid-parameter', `limit must be a whole number from 1 to ${MAX_LIMIT}, got ${JSON.stringify(raw)}`);
  return n;
}

function orderTerms(source: QuerySource, raw: string | undefined): string[] {
  const known = new Map(source.columns.map((c) => [c.name, c]));
  const given = raw === undefined ? (source.defaultOrder ?? []) : raw.split(',');
  const terms: string[] = [];
  const used = new Set<string>();
  for (const item of given) {
    const desc = item.startsWith('-');
    const name = desc ? item.slice(1) : item;
    if (!known.has(name)) {
      throw badRequest('unknown-column', `orderBy: ${JSON.stringify(name)} is not a column of ${source.name}; columns: ${[...known.keys()].join(', ')} (prefix one with - to sort descending)`);
    }
    if (used.has(name)) throw badRequest('invalid-parameter', `orderBy: column '${name}' is given twice`);
    used.add(name);
    terms.push(`${quoteIdent(name)} ${desc ? 'DESC' : 'ASC'} NULLS LAST`);
  }
  // The remaining columns break ties, so that the order (and pagination) is deterministic.
  for (const c of source.columns) if (!used.has(c.name) && c.logicalType !== 'object') terms.push(`${quoteIdent(c.name)} ASC NULLS LAST`);
  return terms;
}

/**
 * The parameterized query of a rows request.
 * @throws Problem 400 for an unknown column or operator, a bad value, limit or orderBy
 */
export function planQuery(source: QuerySource, query: QueryParameters): QueryPlan {
  const limit = parseLimit(query);
  const columns = new Map(source.columns.map((c) => [c.name, c]));
  const conditions: Condition[] = [];
  const filters = Object.keys(query)
    .filter((k) => !RESERVED_PARAMETERS.includes(k))
    .sort();
  if (!source.filterable && (filters.length > 0 || query.orderBy)) {
    throw badRequest('unknown-parameter', `${source.name} takes no filters or orderBy, only limit and nextToken; got ${[...filters, ...(query.orderBy ? ['orderBy'] : [])].join(', ')}`);
  }
  for (const name of filters) {
    const column = columns.get(name);
    if (!column) {
      throw badRequest('unknown-column', `${JSON.stringify(name)} is not a column of ${source.name}, nor one of ${RESERVED_PARAMETERS.join(', ')}; columns: ${[...columns.keys()].join(', ')}`);
    }
    for (const raw of query[name]) conditions.push(condition(column, raw));
  }
  if (query.orderBy && query.orderBy.length > 1) throw badRequest('repeated-parameter', `query parameter 'orderBy' is given ${query.orderBy.length} times; give it once, comma-separated`);
  const order = source.filterable ? orderTerms(source, query.orderBy?.[0]) : [];
  const where = [...(source.where ? [source.where] : []), ...conditions.map((c) => c.sql)];
  const select = source.columns.length > 0 ? source.columns.map((c) => quoteIdent(c.name)).join(', ') : '*';
  const sql = [`SELECT ${select} FROM ${source.from}`, where.length ? `WHERE ${where.join(' AND ')}` : '', order.length ? `ORDER BY ${order.join(', ')}` : '']
    .filter(Boolean)
    .join(' ');
  const parameters = conditions.flatMap((c) => c.parameters);
  const fingerprint = createHash('sha256').update(JSON.stringify([source.name, sql, parameters, limit])).digest('base64url').slice(0, 22);
  return { sql, parameters, limit, fingerprint };
}
