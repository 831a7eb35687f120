/** Service levels: the freshness and retention SLA properties, each a positive whole number of hours, days or years. */
import type { Duration, ServiceLevels } from '../model';
import type { IssueCollector, Path } from './issues';
import { isObject, type Json, type JsonObject } from './json';

const SLA_PROPERTIES = ['freshness', 'retention'] as const;
const DURATION_UNITS: Readonly<Record<string, Duration['unit']>> = {
  h: 'h', hour: 'h', hours: 'h', d: 'd', day: 'd', days: 'd', y: 'y', yr: 'y', year: 'y', years: 'y',
};

function parseDuration(sla: JsonObject, path: Path, issues: IssueCollector): Duration | undefined {
  const value = sla.value;
  const unit = DURATION_UNITS[String(sla.unit ?? '').toLowerCase()];
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    issues.add([...path, 'value'], `SLA '${String(sla.property)}' needs a positive whole number, got ${JSON.stringify(value)}`);
    return undefined;
  }
  if (!unit) {
    issues.add([...path, 'unit'], `SLA '${String(sla.property)}' has unit ${JSON.stringify(sla.unit)}`, 'use h, d or y');
    return undefined;
  }
  return { value, unit };
}

/** Parses the contract's slaProperties list. */
export function parseSla(list: Json | undefined, issues: IssueCollector): ServiceLevels {
  const sla: { freshness?: Duration; retention?: Duration } = {};
  if (!Array.isArray(list)) return sla;
  list.forEach((item, i) => {
    if (!isObject(item)) return;
    const path = ['slaProperties', i];
    const name = String(item.property);
    if (!(SLA_PROPERTIES as readonly string[]).includes(name)) {
      issues.add([...path, 'property'], `SLA property '${name}' is not supported`, `use ${SLA_PROPERTIES.join(' or ')}`);
      return;
    }
    if (sla[name as keyof typeof sla]) {
      issues.add([...path, 'property'], `SLA property '${name}' is given twice`, 'keep one');
      return;
    }
    const duration = parseDuration(item, path, issues);
    if (duration) sla[name as keyof typeof sla] = duration;
  });
  return sla;
}
