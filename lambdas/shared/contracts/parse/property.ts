/**
 * One property (column) of a contract: its name, logical and physical type, custom properties (sourcePath,
 * and piiHandling with classification pii), its quality rules and value rules.
 */
import { PII_HANDLINGS, type ContractProperty, type PiiHandling, type QualityRule, type SourceFormat } from '../model';
import {
  SUPPORTED_LOGICAL_TYPES,
  UNSUPPORTED_LOGICAL_TYPES,
  acceptedPhysicalTypes,
  isSupportedLogicalType,
  resolveColumnType,
} from '../types';
import type { IssueCollector, Path } from './issues';
import type { Json, JsonObject } from './json';
import { NAME_PATTERN, PROPERTY_CUSTOM_PROPERTIES, SUPPORTED_KEYS, checkKeys, customProperties } from './keys';
import { parseQuality } from './quality';
import { parseValueRules } from './value-rules';

/** Source contracts describe delivered files; Gold contracts describe the output columns of a Gold dataset. */
export type ContractLayer = 'source' | 'gold';

/** What parsing a property needs to know about its contract. */
export interface PropertyContext {
  readonly layer: ContractLayer;
  /** The source's format (a CSV column's sourcePath is not split on dots); undefined for Gold. */
  readonly format: SourceFormat | undefined;
  readonly dataset: string;
  readonly issues: IssueCollector;
}

/** Parses one property; undefined when it has an issue (reported to `ctx.issues`). */
export function parseProperty(raw: JsonObject, path: Path, ctx: PropertyContext): (ContractProperty & { quality: QualityRule[] }) | undefined {
  const { issues } = ctx;
  checkKeys(raw, path, SUPPORTED_KEYS.property, 'a property', issues);
  const name = raw.name as string;
  let ok = true;
  if (!NAME_PATTERN.test(name)) {
    issues.add([...path, 'name'], `property name '${name}' is not a valid column name`, 'use lower case letters, digits and _, starting with a letter (at most 63)');
    ok = false;
  } else if (name === 'dt') {
    issues.add([...path, 'name'], `property name 'dt' is reserved for the silver partition column`, 'rename the property');
    ok = false;
  }
  const logicalType = raw.logicalType;
  if (logicalType === undefined) {
    issues.add(path, `property '${name}' has no logicalType`, `set one of ${SUPPORTED_LOGICAL_TYPES.join(', ')}`);
    return undefined;
  }
  if (typeof logicalType !== 'string' || !isSupportedLogicalType(logicalType)) {
    const why = UNSUPPORTED_LOGICAL_TYPES[String(logicalType)];
    if (why) issues.add([...path, 'logicalType'], `logicalType '${String(logicalType)}' is not supported: ${why}`);
    // Values outside the ODCS enum were already reported by the schema check.
    return undefined;
  }
  if (typeof raw.physicalType !== 'string') {
    issues.add(path, `property '${name}' has no physicalType`, `for ${logicalType} use one of ${acceptedPhysicalTypes(logicalType).join(', ')}`);
    return undefined;
  }
  const type = resolveColumnType(logicalType, raw.physicalType);
  if (typeof type === 'string') {
    issues.add([...path, 'physicalType'], type);
    return undefined;
  }
  const custom = customProperties(raw.customProperties, [...path, 'customProperties'], ctx.layer === 'source' ? PROPERTY_CUSTOM_PROPERTIES : [], issues);
  const classification = typeof raw.classification === 'string' ? raw.classification : undefined;
  const isPii = classification?.toLowerCase() === 'pii';
  const piiEntry = custom.get('piiHandling');
  let pii: PiiHandling | undefined;
  if (piiEntry) {
    if (!(PII_HANDLINGS as readonly Json[]).includes(piiEntry.value)) {
      issues.add(piiEntry.path, `piiHandling ${JSON.stringify(piiEntry.value)} is not supported`, `use ${PII_HANDLINGS.join(', ')}`);
      ok = false;
    } else if (!isPii) {
      issues.add(piiEntry.path, `piiHandling is set but classification is not 'pii'`, "set classification: pii, or remove piiHandling");
      ok = false;
    } else if (logicalType !== 'string') {
      issues.add(piiEntry.path, `piiHandling needs a string column; '${name}' is ${logicalType}`);
      ok = false;
    } else {
      pii = piiEntry.value as PiiHandling;
    }
  } else if (isPii) {
    issues.add([...path, 'classification'], `property '${name}' is classified pii but says nothing about how to protect it`, 'add customProperties: [{property: piiHandling, value: hmac-sha256}]');
    ok = false;
  }
  let sourcePath = [name];
  const sourceEntry = custom.get('sourcePath');
  if (sourceEntry) {
    const value = sourceEntry.value;
    if (typeof value !== 'string' || value === '') {
      issues.add(sourceEntry.path, 'sourcePath must be a non-empty string');
      ok = false;
    } else if (ctx.format === 'csv') {
      sourcePath = [value];
    } else if (value.split('.').some((segment) => segment === '')) {
      issues.add(sourceEntry.path, `sourcePath '${value}' has an empty segment`, 'write nested JSON fields as parent.child');
      ok = false;
    } else {
      sourcePath = value.split('.');
    }
  }
  const quality = parseQuality(raw.quality, [...path, 'quality'], name, ctx.dataset, issues);
  const rules = parseValueRules(raw.logicalTypeOptions, logicalType, [...path, 'logicalTypeOptions'], issues);
  if (raw.primaryKeyPosition !== undefined && raw.primaryKey !== true) {
    issues.add([...path, 'primaryKeyPosition'], 'primaryKeyPosition is set on a property that is not a primary key', 'set primaryKey: true or remove it');
    ok = false;
  }
  if (!ok) return undefined;
  return {
    name,
    description: typeof raw.description === 'string' ? raw.description : '',
    type,
    required: raw.required === true || raw.primaryKey === true,
    unique: raw.unique === true,
    ...(raw.primaryKey === true ? { primaryKeyPosition: typeof raw.primaryKeyPosition === 'number' ? raw.primaryKeyPosition : -1 } : {}),
    ...(classification ? { classification } : {}),
    ...(pii ? { pii } : {}),
    sourcePath,
    rules: quality.acceptedValues ? { ...rules, acceptedValues: quality.acceptedValues } : rules,
    quality: quality.rules,
  };
}
