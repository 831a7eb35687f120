/**
 * Quality rules: the ODCS library metrics this platform checks, on the dataset (schema[0].quality) or on a
 * column (a property's quality), each with exactly one threshold, a unit and a severity.
 */
import { QUALITY_METRICS, type QualityMetric, type QualityRule, type QualityThreshold } from '../model';
import type { IssueCollector, Path } from './issues';
import { isObject, type Json, type JsonObject } from './json';
import { SUPPORTED_KEYS, checkKeys } from './keys';

const THRESHOLD_OPERATORS: readonly QualityThreshold['operator'][] = [
  'mustBe', 'mustNotBe', 'mustBeGreaterThan', 'mustBeGreaterOrEqualTo', 'mustBeLessThan', 'mustBeLessOrEqualTo',
  'mustBeBetween', 'mustNotBeBetween',
];

function parseThreshold(rule: JsonObject, path: Path, issues: IssueCollector): QualityThreshold | undefined {
  const present = THRESHOLD_OPERATORS.filter((op) => rule[op] !== undefined);
  if (present.length !== 1) {
    issues.add(path, `a quality rule needs exactly one threshold, found ${present.length}`, `use one of ${THRESHOLD_OPERATORS.join(', ')}`);
    return undefined;
  }
  const operator = present[0];
  const value = rule[operator];
  if (operator === 'mustBeBetween' || operator === 'mustNotBeBetween') {
    return { operator, value: value as unknown as [number, number] };
  }
  if (typeof value !== 'number') {
    issues.add([...path, operator], `threshold ${operator} must be a number, got ${JSON.stringify(value)}`);
    return undefined;
  }
  return { operator, value };
}

/** The rules of one quality list; an invalidValues rule becomes the column's accepted values instead. */
export interface ParsedQuality {
  rules: QualityRule[];
  acceptedValues?: string[];
}

/**
 * Parses a quality list: the dataset's when `column` is undefined, else that column's.
 *
 * @param dataset the dataset name, for the default rule names
 */
export function parseQuality(list: Json | undefined, path: Path, column: string | undefined, dataset: string, issues: IssueCollector): ParsedQuality {
  const parsed: ParsedQuality = { rules: [] };
  if (!Array.isArray(list)) return parsed;
  list.forEach((item, i) => {
    if (!isObject(item)) return;
    const at = [...path, i];
    checkKeys(item, at, SUPPORTED_KEYS.quality, 'a quality rule', issues);
    const type = item.type ?? 'library';
    if (type !== 'library') {
      issues.add([...at, 'type'], `quality rules of type '${String(type)}' are not supported`, 'use a library metric');
      return;
    }
    const metric = item.metric as QualityMetric;
    if (!QUALITY_METRICS.includes(metric)) return; // the ODCS schema already reported it
    if (column === undefined && !['rowCount', 'duplicateValues'].includes(metric)) {
      issues.add([...at, 'metric'], `metric '${metric}' applies to a column`, 'move the rule under that property');
      return;
    }
    if (column !== undefined && metric === 'rowCount') {
      issues.add([...at, 'metric'], `metric 'rowCount' applies to the dataset`, 'move the rule to schema[0].quality');
      return;
    }
    const args = isObject(item.arguments) ? item.arguments : {};
    if (metric === 'invalidValues') {
      const valid = args.validValues;
      if (!Array.isArray(valid) || valid.length === 0 || !valid.every((v) => typeof v === 'string')) {
        issues.add([...at, 'arguments'], 'invalidValues needs arguments.validValues: a non-empty list of strings');
        return;
      }
      if (item.mustBe !== 0) {
        issues.add(at, 'invalidValues is enforced per row (invalid rows go to quarantine), so its threshold must be mustBe: 0');
        return;
      }
      parsed.acceptedValues = valid as string[];
      return;
    }
    const threshold = parseThreshold(item, at, issues);
    const unit = item.unit ?? 'rows';
    if (unit !== 'rows' && unit !== 'percent') {
      issues.add([...at, 'unit'], `unit '${String(unit)}' is not supported`, 'use rows or percent');
      return;
    }
    const severity = item.severity ?? 'error';
    if (severity !== 'error' && severity !== 'warning') {
      issues.add([...at, 'severity'], `severity '${String(severity)}' is not supported`, 'use error (blocks Gold) or warning');
      return;
    }
    if (!threshold) return;
    parsed.rules.push({
      name: typeof item.name === 'string' ? item.name : `${column === undefined ? dataset : `${dataset}.${column}`} ${metric}`,
      metric,
      ...(column !== undefined ? { column } : {}),
      threshold,
      unit,
      severity,
      ...(typeof item.description === 'string' ? { description: item.description } : {}),
    });
  });
  return parsed;
}
