/**
 * The issue collector: every problem found in a contract with its JSON pointer and, from the YAML source, its
 * line and column; and the conversions between key paths and JSON pointers.
 */
import { isMap, isScalar, type Document, type LineCounter } from 'yaml';
import type { ContractIssue } from '../errors';

/** A key path inside the contract document, e.g. `['schema', 0, 'properties', 2, 'name']`. */
export type Path = readonly (string | number)[];

/** Collects issues with their line and column, taken from the YAML source. */
export class IssueCollector {
  readonly issues: ContractIssue[] = [];

  constructor(
    private readonly file: string,
    private readonly doc?: Document,
    private readonly lines?: LineCounter,
  ) {}

  add(path: Path, reason: string, hint?: string): void {
    this.issues.push({ file: this.file, path: toPointer(path), ...this.locate(path), reason, hint });
  }

  private locate(path: Path): { line?: number; column?: number } {
    return (this.doc && this.lines && yamlPosition(this.doc, this.lines, path)) || {};
  }
}

/**
 * The line and column of `path` in a YAML document: of its value, or with `atKey` of the key that names it
 * (a list item has no key: its value), walking up to the nearest ancestor that exists in the text (a missing
 * key is reported at its parent).
 */
export function yamlPosition(doc: Document, lines: LineCounter, path: Path, atKey = false): { line: number; column: number } | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const parent = atKey && depth > 0 ? doc.getIn(path.slice(0, depth - 1), true) : undefined;
    const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(path[depth - 1])) : undefined;
    const node = (pair?.key ?? doc.getIn(path.slice(0, depth), true)) as { range?: [number, number, number] } | undefined;
    if (node && typeof node === 'object' && node.range) {
      const pos = lines.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return undefined;
}

export function toPointer(path: Path): string {
  return path.length === 0 ? '' : `/${path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

export function fromPointer(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}
