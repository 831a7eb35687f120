/**
 * Parses and validates contracts: reads the YAML, checks it against the ODCS JSON Schema, then applies this
 * platform's rules step by step (top level, custom properties, source settings for source contracts only,
 * columns, quality, SLA) and builds the contract. Every step reports to one issue collector; any issue
 * throws ContractError listing them all.
 */
import { ContractError } from '../errors';
import type { DatasetContract, GoldContract, SourceFormat } from '../model';
import { parseColumns } from './columns';
import { checkContractHeader } from './contract';
import { readContractYaml } from './document';
import type { IssueCollector } from './issues';
import { isObject, type JsonObject } from './json';
import { GOLD_SCHEMA_CUSTOM_PROPERTIES, NAME_PATTERN, SCHEMA_CUSTOM_PROPERTIES, customProperties, type CustomEntry } from './keys';
import type { ContractLayer } from './property';
import { parseQuality } from './quality';
import { checkOdcsSchema } from './schema';
import { parseSla } from './sla';
import { checkEventTimeColumn, checkSourcePaths, parseSourceSettings } from './source';

export { ODCS_API_VERSION } from './schema';
export type { ContractLayer } from './property';

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
  const { raw, issues } = readContractYaml(text, file);
  checkOdcsSchema(raw, issues);
  return applyPlatformRules(raw, file, issues, layer);
}

function applyPlatformRules(raw: JsonObject, file: string, issues: IssueCollector, layer: ContractLayer): DatasetContract | GoldContract {
  const { dataset, object, objectPath } = checkContractHeader(raw, file, issues);
  const source = layer === 'source';
  const custom = customProperties(object.customProperties, [...objectPath, 'customProperties'], source ? SCHEMA_CUSTOM_PROPERTIES : GOLD_SCHEMA_CUSTOM_PROPERTIES, issues);
  const asOfSource = source ? undefined : parseAsOfSource(custom.get('asOfSource'), issues);
  // The source-only step (Gold datasets are defined by SQL, not delivered as files, nor partitioned by the transform).
  const settings = source ? parseSourceSettings(custom, objectPath, issues) : undefined;
  const columns = parseColumns(object, objectPath, { layer, format: settings?.format, dataset, issues });
  if (settings) checkSourcePaths(settings, columns, issues);
  const quality = [...parseQuality(object.quality, [...objectPath, 'quality'], undefined, dataset, issues).rules, ...columns.quality];
  const eventTimeColumn = settings ? checkEventTimeColumn(settings, objectPath, columns, issues) : '';
  const sla = parseSla(raw.slaProperties, issues);
  if (issues.issues.length > 0) throw new ContractError(issues.issues);

  const { properties, primaryKey } = columns;
  const description = isObject(raw.description) ? raw.description : {};
  if (!source) {
    return { file, id: String(raw.id), name: dataset, version: String(raw.version), status: String(raw.status), description: String(object.description ?? description.purpose ?? ''), properties, primaryKey, quality, sla, ...(asOfSource ? { asOfSource } : {}) };
  }
  return {
    file,
    id: String(raw.id),
    name: dataset,
    version: String(raw.version),
    status: String(raw.status),
    description: String(object.description ?? description.purpose ?? ''),
    format: settings?.format as SourceFormat,
    ...(settings?.csv ? { csv: settings.csv } : {}),
    properties,
    primaryKey,
    eventTimeColumn,
    quality,
    sla,
  };
}

/** A Gold contract's asOfSource: the name of a source dataset (checked against the sources where both are known). */
function parseAsOfSource(entry: CustomEntry | undefined, issues: IssueCollector): string | undefined {
  if (!entry) return undefined;
  if (typeof entry.value !== 'string' || !NAME_PATTERN.test(entry.value)) {
    issues.add(entry.path, `asOfSource must be the name of a source dataset, got ${JSON.stringify(entry.value)}`, 'e.g. value: orders (the silver dataset whose latest event date is the default as-of date)');
    return undefined;
  }
  return entry.value;
}
