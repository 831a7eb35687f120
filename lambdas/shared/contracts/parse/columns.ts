/**
 * The dataset's columns: parses schema[0].properties in order (a repeated name is refused), collects their
 * quality rules, and orders the primary key.
 */
import type { ContractProperty, QualityRule } from '../model';
import type { IssueCollector, Path } from './issues';
import type { JsonObject } from './json';
import { parseProperty, type PropertyContext } from './property';

/** The parsed columns of a dataset, with what later checks need to point at them. */
export interface Columns {
  /** The properties without issues, in declaration order. */
  readonly properties: ContractProperty[];
  /** The quality rules of the properties, in declaration order. */
  readonly quality: QualityRule[];
  readonly primaryKey: string[];
  /** Index in schema[0].properties of each property name (the first, when repeated). */
  readonly indexOf: ReadonlyMap<string, number>;
  /** Path of the property with this name, for messages. */
  readonly pathOf: (name: string) => Path;
}

export function parseColumns(object: JsonObject, objectPath: Path, ctx: PropertyContext): Columns {
  const { issues } = ctx;
  const rawProperties = Array.isArray(object.properties) ? object.properties : [];
  if (rawProperties.length === 0) issues.add([...objectPath], 'the dataset has no properties', 'list its columns under properties');
  const properties: ContractProperty[] = [];
  const quality: QualityRule[] = [];
  const indexOf = new Map<string, number>();
  rawProperties.forEach((item, i) => {
    const path = [...objectPath, 'properties', i];
    const propName = (item as JsonObject).name as string;
    if (indexOf.has(propName)) {
      issues.add([...path, 'name'], `duplicate property '${propName}' (first defined at properties[${indexOf.get(propName)}])`, 'rename or remove one of them');
      return;
    }
    indexOf.set(propName, i);
    const parsed = parseProperty(item as JsonObject, path, ctx);
    if (!parsed) return;
    const { quality: propertyQuality, ...property } = parsed;
    properties.push(property);
    quality.push(...propertyQuality);
  });
  const pathOf = (prop: string): Path => [...objectPath, 'properties', indexOf.get(prop) ?? 0];
  const primaryKey = primaryKeyOf(properties, pathOf, issues);
  return { properties, quality, primaryKey, indexOf, pathOf };
}

/** Orders the primary key by primaryKeyPosition when given (1..n, each once), else by declaration order. */
function primaryKeyOf(properties: readonly ContractProperty[], pathOf: (name: string) => Path, issues: IssueCollector): string[] {
  const keyed = properties.filter((p) => p.primaryKeyPosition !== undefined);
  const positioned = keyed.filter((p) => p.primaryKeyPosition !== -1);
  if (positioned.length === 0) return keyed.map((p) => p.name);
  const positions = positioned.map((p) => p.primaryKeyPosition).sort((a, b) => (a ?? 0) - (b ?? 0));
  const expected = keyed.map((_, i) => i + 1);
  if (positioned.length !== keyed.length || positions.some((p, i) => p !== expected[i])) {
    issues.add(pathOf(keyed[0].name), `primaryKeyPosition values are ${JSON.stringify(keyed.map((p) => p.primaryKeyPosition))}`, `number every key column once, 1..${keyed.length}`);
    return [];
  }
  return [...positioned].sort((a, b) => (a.primaryKeyPosition ?? 0) - (b.primaryKeyPosition ?? 0)).map((p) => p.name);
}
