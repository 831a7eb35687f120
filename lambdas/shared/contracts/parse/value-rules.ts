/**
 * Value rules: the logicalTypeOptions this platform enforces for each logical type (lengths, pattern,
 * bounds), each checked for a usable value.
 */
import type { ValueRules } from '../model';
import type { IssueCollector, Path } from './issues';
import { isObject, type Json } from './json';

const LOGICAL_TYPE_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  string: ['minLength', 'maxLength', 'pattern'],
  integer: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  date: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  timestamp: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  boolean: [],
  object: [],
};

/** Parses one property's logicalTypeOptions. */
export function parseValueRules(
  options: Json | undefined,
  logicalType: string,
  path: Path,
  issues: IssueCollector,
): ValueRules {
  if (options === undefined) return {};
  if (!isObject(options)) return {};
  const allowed = LOGICAL_TYPE_OPTIONS[logicalType] ?? [];
  const rules: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (!allowed.includes(key)) {
      issues.add(
        [...path, key],
        `logicalTypeOptions.${key} is not enforced by medallion-platform for logicalType '${logicalType}'`,
        allowed.length ? `use ${allowed.join(', ')}` : 'remove it',
      );
      continue;
    }
    if (key === 'pattern') {
      try {
        new RegExp(String(value), 'u');
      } catch (e) {
        issues.add([...path, key], `pattern is not a valid regular expression: ${(e as Error).message}`);
        continue;
      }
    }
    if ((logicalType === 'date' || logicalType === 'timestamp') && Number.isNaN(Date.parse(String(value)))) {
      issues.add([...path, key], `${key} ${JSON.stringify(value)} is not an ISO-8601 ${logicalType}`);
      continue;
    }
    rules[key] = value;
  }
  if (typeof rules.minLength === 'number' && typeof rules.maxLength === 'number' && rules.minLength > rules.maxLength) {
    issues.add([...path, 'minLength'], `minLength ${rules.minLength} is larger than maxLength ${rules.maxLength}`);
  }
  return rules as ValueRules;
}
