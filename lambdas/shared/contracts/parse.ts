import Ajv2019, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { LineCounter, isMap, parseDocument, type Document } from 'yaml';
import odcsSchema from '../../../contracts/schema/odcs-json-schema-v3.1.0.json';
import { ContractError, type ContractIssue } from './errors';
import {
  PII_HANDLINGS,
  QUALITY_METRICS,
  SOURCE_FORMATS,
  type ContractProperty,
  type CsvOptions,
  type DatasetContract,
  type GoldContract,
  type Duration,
  type PiiHandling,
  type QualityMetric,
  type QualityRule,
  type QualityThreshold,
  type ServiceLevels,
  type SourceFormat,
  type ValueRules,
} from './model';
import {
  SUPPORTED_LOGICAL_TYPES,
  UNSUPPORTED_LOGICAL_TYPES,
  acceptedPhysicalTypes,
  isSupportedLogicalType,
  resolveColumnType,
} from './types';

/** The ODCS version this platform reads. */
export const ODCS_API_VERSION = 'v3.1.0';

/** Dataset and column names: safe as S3 prefixes, Glue names and unquoted SQL identifiers. */
const NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * Keys of the ODCS subset this platform reads. ODCS-valid keys outside these lists are refused rather than
 * ignored, so that nobody believes a setting is in force when it is not.
 */
const SUPPORTED_KEYS = {
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

const SCHEMA_CUSTOM_PROPERTIES = ['sourceFormat', 'csvOptions', 'eventTimeColumn'] as const;
const PROPERTY_CUSTOM_PROPERTIES = ['sourcePath', 'piiHandling'] as const;
const CSV_OPTION_KEYS = ['delimiter', 'quote', 'escape'] as const;
const SLA_PROPERTIES = ['freshness', 'retention'] as const;
const THRESHOLD_OPERATORS: readonly QualityThreshold['operator'][] = [
  'mustBe', 'mustNotBe', 'mustBeGreaterThan', 'mustBeGreaterOrEqualTo', 'mustBeLessThan', 'mustBeLessOrEqualTo',
  'mustBeBetween', 'mustNotBeBetween',
];
const DURATION_UNITS: Readonly<Record<string, Duration['unit']>> = {
  h: 'h', hour: 'h', hours: 'h', d: 'd', day: 'd', days: 'd', y: 'y', yr: 'y', year: 'y', years: 'y',
};
const LOGICAL_TYPE_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  string: ['minLength', 'maxLength', 'pattern'],
  integer: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  number: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  date: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  timestamp: ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'],
  boolean: [],
  object: [],
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type Path = readonly (string | number)[];

let compiledSchema: ValidateFunction | undefined;
function odcsValidator(): ValidateFunction {
  // strict: false because the official schema uses annotation keywords (examples, deprecated) Ajv does not know.
  if (!compiledSchema) {
    const ajv = new Ajv2019({ allErrors: true, strict: false, verbose: true });
    addFormats(ajv);
    compiledSchema = ajv.compile(odcsSchema);
  }
  return compiledSchema;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Collects issues with their line and column, taken from the YAML source. */
class IssueCollector {
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
    if (!this.doc || !this.lines) return {};
    // Walk up to the nearest ancestor that exists in the text (a missing key is reported at its parent).
    for (let depth = path.length; depth >= 0; depth--) {
      const node = this.doc.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) {
        const pos = this.lines.linePos(node.range[0]);
        return { line: pos.line, column: pos.col };
      }
    }
    return {};
  }
}

function toPointer(path: Path): string {
  return path.length === 0 ? '' : `/${path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
}

function fromPointer(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** Ajv reports each failing branch of if/then and oneOf; keep the errors a person can act on. */
function schemaIssues(errors: readonly ErrorObject[], issues: IssueCollector): void {
  const seen = new Set<string>();
  for (const e of errors) {
    if (e.keyword === 'if' || e.keyword === 'oneOf' || e.keyword === 'anyOf') continue;
    const path = fromPointer(e.instancePath);
    let reason: string;
    let hint: string | undefined;
    let at: (string | number)[] = path;
    switch (e.keyword) {
      case 'unevaluatedProperties':
      case 'additionalProperties': {
        const key = String(e.params.unevaluatedProperty ?? e.params.additionalProperty);
        at = [...path, key];
        reason = `unknown key '${key}': it is not part of ODCS ${ODCS_API_VERSION}`;
        break;
      }
      case 'required':
        reason = `missing required key '${String(e.params.missingProperty)}'`;
        break;
      case 'enum':
        if (path[path.length - 1] === 'logicalType' && path.includes('properties')) {
          reason = `unknown logicalType ${JSON.stringify(e.data)}`;
          hint = `use one of ${SUPPORTED_LOGICAL_TYPES.join(', ')}; put the storage type in physicalType`;
          break;
        }
        reason = `${e.message ?? 'invalid value'}: ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      default:
        reason = e.message ?? `fails the ${e.keyword} rule of the ODCS schema`;
    }
    const key = `${toPointer(at)}|${reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.add(at, `${reason} (ODCS ${ODCS_API_VERSION} schema)`, hint);
  }
}

function checkKeys(obj: JsonObject, path: Path, allowed: readonly string[], what: string, issues: IssueCollector): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    issues.add(
      [...path, key],
      `'${key}' is valid ODCS but not supported on ${what} by medallion-platform`,
      UNSUPPORTED_KEY_HINTS[key] ?? `remove it; supported keys: ${allowed.join(', ')}`,
    );
  }
}

/** ODCS custom properties are a list of {property, value}; turn it into a map, refusing unknown and repeated keys. */
function customProperties(
  list: Json | undefined,
  path: Path,
  known: readonly string[],
  issues: IssueCollector,
): Map<string, { value: Json; path: Path }> {
  const result = new Map<string, { value: Json; path: Path }>();
  if (!Array.isArray(list)) return result;
  list.forEach((item, i) => {
    if (!isObject(item)) return;
    const name = String(item.property);
    if (!known.includes(name)) {
      issues.add([...path, i, 'property'], `unknown custom property '${name}'`, known.length ? `use one of: ${known.join(', ')}` : 'Gold contracts take no custom properties; remove it');
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

function parseCsvOptions(entry: { value: Json; path: Path } | undefined, issues: IssueCollector): CsvOptions {
  const options: Record<(typeof CSV_OPTION_KEYS)[number], string> = { delimiter: ',', quote: '"', escape: '"' };
  if (!entry) return options;
  if (!isObject(entry.value)) {
    issues.add(entry.path, 'csvOptions must be a map', `e.g. {delimiter: ",", quote: "\\"", escape: "\\""}`);
    return options;
  }
  for (const [key, value] of Object.entries(entry.value)) {
    if (!(CSV_OPTION_KEYS as readonly string[]).includes(key)) {
      issues.add([...entry.path, key], `unknown CSV option '${key}'`, `use ${CSV_OPTION_KEYS.join(', ')}; files always have a header row`);
    } else if (typeof value !== 'string' || [...value].length !== 1) {
      issues.add([...entry.path, key], `CSV option '${key}' must be one character, got ${JSON.stringify(value)}`);
    } else {
      options[key as keyof typeof options] = value;
    }
  }
  return options;
}

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

function parseSla(list: Json | undefined, issues: IssueCollector): ServiceLevels {
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

interface ParsedQuality {
  rules: QualityRule[];
  acceptedValues?: string[];
}

function parseQuality(list: Json | undefined, path: Path, column: string | undefined, dataset: string, issues: IssueCollector): ParsedQuality {
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

function parseValueRules(
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

/** Source contracts describe delivered files; Gold contracts describe the output columns of a Gold dataset. */
export type ContractLayer = 'source' | 'gold';

interface PropertyContext {
  readonly layer: ContractLayer;
  readonly format: SourceFormat | undefined;
  readonly dataset: string;
  readonly issues: IssueCollector;
}

function parseProperty(raw: JsonObject, path: Path, ctx: PropertyContext): (ContractProperty & { quality: QualityRule[] }) | undefined {
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

function checkSourcePaths(properties: readonly ContractProperty[], format: SourceFormat | undefined, pathOf: (name: string) => Path, issues: IssueCollector): void {
  const seen = new Map<string, string>();
  for (const p of properties) {
    const joined = p.sourcePath.join('.');
    const other = seen.get(joined);
    if (other) {
      issues.add(pathOf(p.name), `properties '${other}' and '${p.name}' read the same source field '${joined}'`, 'give each property its own sourcePath');
    }
    seen.set(joined, p.name);
  }
  if (format === 'csv') return;
  for (const p of properties) {
    for (const q of properties) {
      if (p !== q && q.sourcePath.length > p.sourcePath.length && p.sourcePath.every((s, i) => q.sourcePath[i] === s)) {
        issues.add(pathOf(q.name), `sourcePath '${q.sourcePath.join('.')}' lies inside '${p.sourcePath.join('.')}', which property '${p.name}' reads whole`, 'read either the object or its fields');
      }
    }
  }
}

/**
 * Parses and validates one contract document. Throws ContractError listing every problem found: YAML
 * syntax, the official ODCS v3.1 JSON Schema, then this platform's own rules.
 *
 * @param text the YAML text
 * @param file the file name used in messages; its base name must equal the contract's name
 */
export function parseContract(text: string, file: string): DatasetContract {
  return parseAnyContract(text, file, 'source') as DatasetContract;
}

/** Parses and validates the contract of a Gold dataset's output: no source format, no event time, no PII handling. */
export function parseGoldContract(text: string, file: string): GoldContract {
  return parseAnyContract(text, file, 'gold');
}

function parseAnyContract(text: string, file: string, layer: ContractLayer): DatasetContract | GoldContract {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const issues = new IssueCollector(file, doc, lines);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      const summary = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      const key = text.slice(e.pos[0]).match(/^[^:\n]*/)?.[0].trim();
      const reason = e.code === 'DUPLICATE_KEY' ? `duplicate key '${key}' in the same map` : `YAML syntax error: ${summary}`;
      issues.issues.push({ file, path: '', ...(pos ? { line: pos.line, column: pos.col } : {}), reason });
    }
    throw new ContractError(issues.issues);
  }
  if (!isMap(doc.contents)) {
    issues.add([], 'a contract must be a YAML map at the top level');
    throw new ContractError(issues.issues);
  }
  const raw = doc.toJS() as JsonObject;
  const validate = odcsValidator();
  if (!validate(raw)) {
    schemaIssues(validate.errors ?? [], issues);
    throw new ContractError(issues.issues);
  }
  return applyPlatformRules(raw, file, issues, layer);
}

function applyPlatformRules(raw: JsonObject, file: string, issues: IssueCollector, layer: ContractLayer): DatasetContract | GoldContract {
  const source = layer === 'source';
  checkKeys(raw, [], SUPPORTED_KEYS.contract, 'a contract', issues);
  if (raw.apiVersion !== ODCS_API_VERSION) {
    issues.add(['apiVersion'], `apiVersion '${String(raw.apiVersion)}' is not read by medallion-platform`, `write the contract in ODCS ${ODCS_API_VERSION}`);
  }
  if (raw.kind !== 'DataContract') issues.add(['kind'], `kind must be DataContract, got '${String(raw.kind)}'`);
  const name = raw.name;
  const baseName = file.replace(/^.*[\\/]/, '').replace(/\.ya?ml$/, '');
  if (typeof name !== 'string') {
    issues.add([], "missing required key 'name'", `add name: ${baseName}`);
  } else if (!NAME_PATTERN.test(name)) {
    issues.add(['name'], `dataset name '${name}' is not valid`, 'use lower case letters, digits and _, starting with a letter (at most 63)');
  } else if (name !== baseName) {
    issues.add(['name'], `dataset name '${name}' does not match the file name '${baseName}'`, `rename the file to ${name}.yaml or the dataset to ${baseName}`);
  }
  const dataset = typeof name === 'string' ? name : baseName;
  const schema = raw.schema;
  if (!Array.isArray(schema) || schema.length !== 1) {
    issues.add(['schema'], `a contract describes exactly one dataset, so schema needs exactly one object (found ${Array.isArray(schema) ? schema.length : 0})`, 'split the contract into one file per dataset');
    throw new ContractError(issues.issues);
  }
  const object = schema[0] as JsonObject;
  const objectPath = ['schema', 0];
  checkKeys(object, objectPath, SUPPORTED_KEYS.schemaObject, 'schema[0]', issues);
  if (object.name !== dataset) {
    issues.add([...objectPath, 'name'], `schema[0].name '${String(object.name)}' differs from the contract name '${dataset}'`, `set it to ${dataset}`);
  }
  const custom = customProperties(object.customProperties, [...objectPath, 'customProperties'], source ? SCHEMA_CUSTOM_PROPERTIES : [], issues);
  const formatEntry = custom.get('sourceFormat');
  let format: SourceFormat | undefined;
  if (!source) {
    // Gold datasets are defined by SQL, not delivered as files.
  } else if (!formatEntry) {
    issues.add([...objectPath], 'the source file format is not declared', `add customProperties: [{property: sourceFormat, value: ${SOURCE_FORMATS.join(' | ')}}]`);
  } else if (!(SOURCE_FORMATS as readonly Json[]).includes(formatEntry.value)) {
    issues.add(formatEntry.path, `sourceFormat ${JSON.stringify(formatEntry.value)} is not supported`, `use ${SOURCE_FORMATS.join(', ')} (gzip is detected from the .gz suffix)`);
  } else {
    format = formatEntry.value as SourceFormat;
  }
  const csvEntry = custom.get('csvOptions');
  if (csvEntry && format !== 'csv') issues.add(csvEntry.path, `csvOptions given for a ${format ?? 'non-CSV'} source`, 'remove csvOptions');
  const csv = format === 'csv' ? parseCsvOptions(csvEntry, issues) : undefined;

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
    const parsed = parseProperty(item as JsonObject, path, { layer, format, dataset, issues });
    if (!parsed) return;
    const { quality: propertyQuality, ...property } = parsed;
    properties.push(property);
    quality.push(...propertyQuality);
  });
  const pathOf = (prop: string): Path => [...objectPath, 'properties', indexOf.get(prop) ?? 0];
  const primaryKey = primaryKeyOf(properties, pathOf, issues);
  checkSourcePaths(properties, format, pathOf, issues);
  quality.unshift(...parseQuality(object.quality, [...objectPath, 'quality'], undefined, dataset, issues).rules);

  const eventEntry = custom.get('eventTimeColumn');
  const eventTimeColumn = typeof eventEntry?.value === 'string' ? eventEntry.value : '';
  if (!source) {
    // Gold datasets are not partitioned by the transform.
  } else if (!eventEntry) {
    issues.add([...objectPath], 'no event-time column is declared, so silver cannot be partitioned', 'add customProperties: [{property: eventTimeColumn, value: <a required date or timestamp property>}]');
  } else {
    const prop = properties.find((p) => p.name === eventTimeColumn);
    if (!prop) {
      if (!indexOf.has(eventTimeColumn)) issues.add(eventEntry.path, `eventTimeColumn '${String(eventEntry.value)}' is not a property of the dataset`, `use one of: ${properties.map((p) => p.name).join(', ')}`);
    } else if (prop.type.logicalType !== 'date' && prop.type.logicalType !== 'timestamp') {
      issues.add(eventEntry.path, `eventTimeColumn '${eventTimeColumn}' is ${prop.type.logicalType}, not a date or timestamp`);
    } else if (!prop.required) {
      issues.add(eventEntry.path, `eventTimeColumn '${eventTimeColumn}' is optional, so some rows would have no partition`, `set required: true on '${eventTimeColumn}'`);
    }
  }
  const sla = parseSla(raw.slaProperties, issues);
  if (issues.issues.length > 0) throw new ContractError(issues.issues);

  const description = isObject(raw.description) ? raw.description : {};
  if (!source) {
    return { file, id: String(raw.id), name: dataset, version: String(raw.version), status: String(raw.status), description: String(object.description ?? description.purpose ?? ''), properties, primaryKey, quality, sla };
  }
  return {
    file,
    id: String(raw.id),
    name: dataset,
    version: String(raw.version),
    status: String(raw.status),
    description: String(object.description ?? description.purpose ?? ''),
    format: format as SourceFormat,
    ...(csv ? { csv } : {}),
    properties,
    primaryKey,
    eventTimeColumn,
    quality,
    sla,
  };
}
