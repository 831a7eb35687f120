/**
 * Reads a contract's YAML text: syntax errors and duplicate keys are reported with their line, and the
 * document must be a map. Returns the document as JSON and the issue collector that locates later issues in it.
 */
import { LineCounter, isMap, parseDocument, type Document } from 'yaml';
import { ContractError, type ContractIssue } from '../errors';
import { IssueCollector } from './issues';
import type { JsonObject } from './json';

/**
 * The syntax errors and duplicate keys of a parsed YAML document, each at its line and column (a duplicate
 * key named): shared by the contracts and the platform config file.
 */
export function yamlSyntaxIssues(text: string, doc: Document, file: string): ContractIssue[] {
  return doc.errors.map((e) => {
    const pos = e.linePos?.[0];
    const summary = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    const key = text.slice(e.pos[0]).match(/^[^:\n]*/)?.[0].trim();
    const reason = e.code === 'DUPLICATE_KEY' ? `duplicate key '${key}' in the same map` : `YAML syntax error: ${summary}`;
    return { file, path: '', ...(pos ? { line: pos.line, column: pos.col } : {}), reason };
  });
}

export function readContractYaml(text: string, file: string): { raw: JsonObject; issues: IssueCollector } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const issues = new IssueCollector(file, doc, lines);
  if (doc.errors.length > 0) {
    issues.issues.push(...yamlSyntaxIssues(text, doc, file));
    throw new ContractError(issues.issues);
  }
  if (!isMap(doc.contents)) {
    issues.add([], 'a contract must be a YAML map at the top level');
    throw new ContractError(issues.issues);
  }
  return { raw: doc.toJS() as JsonObject, issues };
}
