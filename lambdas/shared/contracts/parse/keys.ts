/**
 * What this platform reads of ODCS: valid names, the supported keys of each part of a contract (ODCS-valid
 * keys outside them are refused with a hint), and the custom properties it understands.
 */
import type { IssueCollector, Path } from './issues';
import { isObject, type Json, type JsonObject } from './json';

/** Dataset and column names: safe as S3 prefixes, Glue names and unquoted SQL identifiers. */
export const NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * Keys of the ODCS subset this platform reads. ODCS-valid keys outside these lists are refused rather than
 * ignored, so that nobody believes a setting is in force when it is not.
 */
export const SUPPORTED_KEYS = {
  contract: [
    'apiVersion', 'kind', 'id', 'name', 'version', 'status', 'description', 'domain', 'dataProduct', 'tenant',
    'tags', 'team', 'support', 'contractCreatedTs', 'authoritativeDefinitions', 'schema', 'slaProperties',
  ],
  schemaObject: [
    'id', 'name', 'physicalType', 'physicalName', 'description', 'businessName', 'tags', 'authoritativeDefinitions',
    'dataGranularityDescription', 'logicalType', 'properties', 'quality', 'customProperties',
  ],
  property: [
    'id', 'name', 'logicalType', 'logicalTypeOptions', 'physicalType', 'required', 'unique', 'primaryKey',
    'primaryKeyPosition', 'classification', 'description', 'businessName', 'tags', 'examples',
    'criticalDataElement', 'authoritativeDefinitions', 'quality', 'customProperties',
  ],
  quality: [
    'id', 'name', 'description', 'type', 'metric', 'arguments', 'unit', 'severity', 'dimension', 'businessImpact',
    'tags', 'mustBe', 'mustNotBe', 'mustBeGreaterThan', 'mustBeGreaterOrEqualTo', 'mustBeLessThan',
    'mustBeLessOrEqualTo', 'mustBeBetween', 'mustNotBeBetween',
  ],
} as const;

const UNSUPPORTED_KEY_HINTS: Readonly<Record<string, string>> = {
  servers: 'bucket locations come from the deployed stage, not from the contract; remove it',
  customProperties: 'put platform settings on schema[0].customProperties',
  partitioned: 'silver is always partitioned by the UTC date of the eventTimeColumn custom property; remove it',
  partitionKeyPosition: 'silver is always partitioned by the UTC date of the eventTimeColumn custom property; remove it',
  physicalName: 'the column name in every layer is the property name; map source fields with the sourcePath custom property',
  relationships: 'relationships are not enforced yet; describe them in description',
  items: 'nested arrays are not supported; use logicalType object with physicalType json',
  properties: 'nested objects are flattened with the sourcePath custom property, e.g. event_data.value_prop',
};

/** Custom properties of schema[0] in a source contract. */
export const SCHEMA_CUSTOM_PROPERTIES = ['sourceFormat', 'csvOptions', 'eventTimeColumn'] as const;
/** Custom properties of schema[0] in a Gold contract: the silver dataset whose latest event date is the default as-of date. */
export const GOLD_SCHEMA_CUSTOM_PROPERTIES = ['asOfSource'] as const;
/** Custom properties of a property in a source contract (Gold contracts take none). */
export const PROPERTY_CUSTOM_PROPERTIES = ['sourcePath', 'piiHandling'] as const;

/** Reports every key of `obj` outside `allowed`, with a hint on what to do instead. */
export function checkKeys(obj: JsonObject, path: Path, allowed: readonly string[], what: string, issues: IssueCollector): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    issues.add(
      [...path, key],
      `'${key}' is valid ODCS but not supported on ${what} by medallion-platform`,
      UNSUPPORTED_KEY_HINTS[key] ?? `remove it; supported keys: ${allowed.join(', ')}`,
    );
  }
}

/** One custom property's value and the path of that value, for messages. */
export interface CustomEntry {
  readonly value: Json;
  readonly path: Path;
}

/** ODCS custom properties are a list of {property, value}; turn it into a map, refusing unknown and repeated keys. */
export function customProperties(
  list: Json | undefined,
  path: Path,
  known: readonly string[],
  issues: IssueCollector,
): Map<string, CustomEntry> {
  const result = new Map<string, CustomEntry>();
  if (!Array.isArray(list)) return result;
  list.forEach((item, i) => {
    if (!isObject(item)) return;
    const name = String(item.property);
    if (!known.includes(name)) {
      issues.add([...path, i, 'property'], `unknown custom property '${name}'`, known.length ? `use one of: ${known.join(', ')}` : 'Gold contracts take no custom properties on properties; remove it');
      return;
    }
    if (result.has(name)) {
      issues.add([...path, i, 'property'], `custom property '${name}' is given twice`, 'keep one');
      return;
    }
    result.set(name, { value: item.value, path: [...path, i, 'value'] });
  });
  return result;
}
