import type { CfnTable } from 'aws-cdk-lib/aws-glue';
import { LINEAGE_COLUMNS, type ContractProperty, type DatasetContract } from '../../lambdas/shared/contracts';

export type Column = CfnTable.ColumnProperty & { name: string; type: string };

/** Silver columns: every contract property with its mapped type, then the lineage columns. */
export function silverColumns(contract: DatasetContract): Column[] {
  return [
    ...contract.properties.map((p) => ({ name: p.name, type: p.type.glueType, comment: comment(p) })),
    ...LINEAGE_COLUMNS.map((c) => ({ name: c.name, type: c.glueType, comment: c.description })),
  ];
}

function comment(p: ContractProperty): string {
  const notes = [p.description, p.pii ? `PII: ${p.pii} of the source value` : ''].filter(Boolean).join(' ');
  return notes.slice(0, 255);
}

interface FieldTree {
  [field: string]: FieldTree | null;
}

/**
 * Bronze columns: the source record's shape as delivered. Leaves are `string` so that a malformed value
 * never fails a query over raw data (silver is the typed layer); nested JSON objects become structs.
 * CSV columns follow the contract's property order, which is the file's column order.
 */
export function bronzeColumns(contract: DatasetContract): Column[] {
  if (contract.format === 'csv') {
    return contract.properties.map((p) => ({ name: p.sourcePath[0], type: 'string' }));
  }
  if (contract.format === 'json-array') {
    // Athena's JSON SerDe reads one object per line; a JSON-array file is exposed as raw lines.
    return [{ name: 'line', type: 'string', comment: 'Raw text line of a JSON-array file' }];
  }
  const tree: FieldTree = {};
  for (const p of contract.properties) {
    let node = tree;
    p.sourcePath.forEach((segment, i) => {
      if (i === p.sourcePath.length - 1) {
        node[segment] = null;
      } else {
        node = (node[segment] ??= {}) as FieldTree;
      }
    });
  }
  return Object.entries(tree).map(([name, sub]) => ({ name: name.toLowerCase(), type: hiveType(sub) }));
}

function hiveType(node: FieldTree | null): string {
  if (node === null) return 'string';
  return `struct<${Object.entries(node).map(([k, v]) => `${k.toLowerCase()}:${hiveType(v)}`).join(',')}>`;
}
