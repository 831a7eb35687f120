/** One problem found in a contract file: where it is, what is wrong, how to fix it. */
export interface ContractIssue {
  /** Contract file as given to the loader. */
  readonly file: string;
  /** JSON pointer inside the document, `''` for the document itself. */
  readonly path: string;
  /** 1-based line and column in the file, when the location exists in the text. */
  readonly line?: number;
  readonly column?: number;
  readonly reason: string;
  readonly hint?: string;
}

export function formatIssue(issue: ContractIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  const path = issue.path === '' ? '(document)' : issue.path;
  return `${where} at ${path}: ${issue.reason}${issue.hint ? ` (fix: ${issue.hint})` : ''}`;
}

/** Thrown when one or more contracts are invalid; the message lists every issue, one per line. */
export class ContractError extends Error {
  readonly code = 'INVALID_CONTRACT';

  constructor(readonly issues: readonly ContractIssue[]) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`Invalid data contract (${count}):\n${issues.map((i) => `  - ${formatIssue(i)}`).join('\n')}`);
    this.name = 'ContractError';
  }
}
