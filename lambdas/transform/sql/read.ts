/** How source files are read: the `src` view over a file or its pieces (pure SQL builders, no I/O). */
import type { ContractProperty, DatasetContract } from '../../shared/contracts';
import { MAX_LINE_BYTES } from '../limits';
import { rawColumn, sqlIdent, sqlString } from './text';

/** Field separator for reading NDJSON as whole lines: four control bytes no text line contains. */
const LINE_READER_DELIMITER = "chr(30) || chr(31) || chr(30) || chr(31)";

function jsonPath(segments: readonly string[]): string {
  return `$.${segments.map((s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join('.')}`;
}

/**
 * How sources are read. `schema`: DuckDB's reader with the contract's shape (every leaf as text), one
 * fast parallel pass with no row numbers unless a primary key needs them; for JSON a single malformed
 * line fails the whole read. `lines`: every row numbered and, for JSON, one line at a time, so that a
 * malformed line is just a quarantined row and every rejected row keeps its exact original text and line.
 */
export type JsonReader = 'schema' | 'lines';

/** Row order matters to the last row of a primary key and to quarantine line numbers; numbering rows serialises the scan. */
const lineNumber = (contract: DatasetContract, reader: JsonReader, offset = 0): string =>
  reader === 'lines' || contract.primaryKey.length ? `row_number() OVER ()${offset ? ` + ${offset}` : ''}` : 'NULL::BIGINT';

interface ShapeNode {
  [field: string]: ShapeNode | ContractProperty;
}

/** DuckDB `columns` type of a source field tree: leaves are VARCHAR (objects kept as JSON), nodes STRUCTs. */
function shapeType(node: ShapeNode | ContractProperty): string {
  if ('type' in node && 'sourcePath' in node) return (node as ContractProperty).type.logicalType === 'object' ? 'JSON' : 'VARCHAR';
  return `STRUCT(${Object.entries(node as ShapeNode).map(([k, v]) => `${sqlIdent(k)} ${shapeType(v)}`).join(', ')})`;
}

function schemaReaderSql(contract: DatasetContract, pieces: readonly PieceRef[]): string {
  const tree: ShapeNode = {};
  for (const p of contract.properties) {
    let node = tree;
    p.sourcePath.forEach((segment, i) => {
      if (i === p.sourcePath.length - 1) node[segment] = p;
      else node = (node[segment] ??= {}) as ShapeNode;
    });
  }
  const columns = Object.entries(tree).map(([k, v]) => `${sqlString(k)}: ${sqlString(shapeType(v))}`).join(', ');
  const raw = contract.properties.map((p) => `${p.sourcePath.map(sqlIdent).join('.')}::VARCHAR AS ${rawColumn(p)}`).join(', ');
  const format = contract.format === 'json-array' ? 'array' : 'newline_delimited';
  const several = pieces.length > 1;
  const files = several ? `[${pieces.map((p) => sqlString(p.path)).join(', ')}]` : sqlString(pieces[0].path);
  return `CREATE OR REPLACE TEMP VIEW src AS
SELECT ${lineNumber(contract, 'schema')} AS _line, NULL::VARCHAR AS _raw, NULL::VARCHAR AS _parse_error, ${raw}, ${several ? 'filename' : 'NULL::VARCHAR AS filename'}
FROM read_json(${files}, format = ${sqlString(format)}, columns = {${columns}}, maximum_object_size = ${MAX_LINE_BYTES}${several ? ', filename = true' : ''})`;
}

/** SQL creating the view `src(_line, _raw, _parse_error, r_<property>…)` over a local file. */
/** A piece of a source's text (see source-file.ts): its local path and the number of its first line. */
export interface PieceRef {
  readonly path: string;
  readonly firstLine: number;
}

const asPieces = (source: string | readonly PieceRef[]): readonly PieceRef[] => (typeof source === 'string' ? [{ path: source, firstLine: 1 }] : source);

/**
 * SQL creating the view `src(_line, _raw, _parse_error, r_<property>…)` over a local file or its pieces.
 * The schema reader over several pieces also gives `filename`, which piece a row comes from.
 */
export function readSourceSql(contract: DatasetContract, source: string | readonly PieceRef[], reader: JsonReader = 'lines'): string {
  const pieces = asPieces(source);
  const path = pieces[0].path;
  if (contract.format === 'csv') {
    const csv = contract.csv!;
    const columns = contract.properties.map((p) => `${sqlString(p.sourcePath[0])}: 'VARCHAR'`).join(', ');
    const raw = contract.properties.map((p) => `${sqlIdent(p.sourcePath[0])} AS ${rawColumn(p)}`).join(', ');
    // Line 1 is the header.
    return `CREATE OR REPLACE TEMP VIEW src AS
SELECT ${lineNumber(contract, reader, 1)} AS _line, NULL::VARCHAR AS _raw, NULL::VARCHAR AS _parse_error, ${raw}, NULL::VARCHAR AS filename
FROM read_csv(${sqlString(path)}, columns = {${columns}}, header = true, auto_detect = false,
  delim = ${sqlString(csv.delimiter)}, quote = ${sqlString(csv.quote)}, escape = ${sqlString(csv.escape)},
  max_line_size = ${MAX_LINE_BYTES}, ignore_errors = true, store_rejects = true,
  rejects_table = 'csv_rejects', rejects_scan = 'csv_reject_scans')`;
  }
  if (reader === 'schema') return schemaReaderSql(contract, pieces);
  // Each piece numbers its own lines from its first line (pieces that follow each other number on).
  const pieceLines = (piece: PieceRef) => `SELECT row_number() OVER () + ${piece.firstLine - 1} AS _line, line
    FROM read_csv(${sqlString(piece.path)}, columns = {'line': 'VARCHAR'}, header = false, auto_detect = false,
      delim = ${LINE_READER_DELIMITER}, quote = '', escape = '', max_line_size = ${MAX_LINE_BYTES})`;
  const lines =
    contract.format === 'json-array'
      ? `SELECT row_number() OVER () AS _line, json::VARCHAR AS _raw FROM read_json_objects(${sqlString(path)}, format = 'array')`
      : `SELECT _line, rtrim(line, chr(13)) AS _raw FROM (
    ${pieces.map((piece) => `(${pieceLines(piece)})`).join('\n    UNION ALL ')}
  ) WHERE trim(line, ' ' || chr(9) || chr(13)) <> ''`;
  // One JSON parse per line extracts every path (objects come back as their JSON text); lines that are
  // not valid JSON objects are never parsed further.
  const paths = contract.properties.map((p) => sqlString(jsonPath(p.sourcePath))).join(', ');
  const raw = contract.properties.map((p, i) => `_values[${i + 1}] AS ${rawColumn(p)}`).join(', ');
  return `CREATE OR REPLACE TEMP VIEW src AS
SELECT _line, _raw, _parse_error, ${raw}
FROM (
  SELECT _line, _raw, _parse_error,
    CASE WHEN _parse_error IS NULL THEN json_extract_string(_raw, [${paths}]) END AS _values
  FROM (
    SELECT _line, _raw,
      CASE WHEN NOT json_valid(_raw) THEN 'invalid JSON'
           WHEN NOT starts_with(ltrim(_raw), '{') THEN 'not a JSON object' END AS _parse_error
    FROM (${lines})
  )
)`;
}
