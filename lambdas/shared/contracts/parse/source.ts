/**
 * The source-only settings, run only for source contracts (a Gold dataset is defined by SQL, not delivered as
 * files): the file format and CSV options of schema[0].customProperties, the properties' source paths, and
 * the event-time column that partitions silver.
 *
 * The step has three calls, at the points of the walk where these checks have always run, so that issues
 * keep their order: parseSourceSettings before the columns (a CSV column's sourcePath is not split on dots),
 * checkSourcePaths once the columns are parsed, checkEventTimeColumn after the dataset's quality rules.
 */
import { SOURCE_FORMATS, type CsvOptions, type SourceFormat } from '../model';
import type { Columns } from './columns';
import type { IssueCollector, Path } from './issues';
import { isObject, type Json } from './json';
import type { CustomEntry } from './keys';

const CSV_OPTION_KEYS = ['delimiter', 'quote', 'escape'] as const;

/** The settings of schema[0].customProperties that describe the delivered files. */
export interface SourceSettings {
  /** Undefined when not declared or not supported (already reported). */
  readonly format: SourceFormat | undefined;
  /** Set for a CSV source only. */
  readonly csv: CsvOptions | undefined;
  /** The eventTimeColumn custom property, checked by checkEventTimeColumn. */
  readonly eventTime: CustomEntry | undefined;
}

/** Reads the source format and CSV options from schema[0]'s custom properties. */
export function parseSourceSettings(custom: ReadonlyMap<string, CustomEntry>, objectPath: Path, issues: IssueCollector): SourceSettings {
  const formatEntry = custom.get('sourceFormat');
  let format: SourceFormat | undefined;
  if (!formatEntry) {
    issues.add([...objectPath], 'the source file format is not declared', `add customProperties: [{property: sourceFormat, value: ${SOURCE_FORMATS.join(' | ')}}]`);
  } else if (!(SOURCE_FORMATS as readonly Json[]).includes(formatEntry.value)) {
    issues.add(formatEntry.path, `sourceFormat ${JSON.stringify(formatEntry.value)} is not supported`, `use ${SOURCE_FORMATS.join(', ')} (gzip is detected from the .gz suffix)`);
  } else {
    format = formatEntry.value as SourceFormat;
  }
  const csvEntry = custom.get('csvOptions');
  if (csvEntry && format !== 'csv') issues.add(csvEntry.path, `csvOptions given for a ${format ?? 'non-CSV'} source`, 'remove csvOptions');
  const csv = format === 'csv' ? parseCsvOptions(csvEntry, issues) : undefined;
  return { format, csv, eventTime: custom.get('eventTimeColumn') };
}

function parseCsvOptions(entry: CustomEntry | undefined, issues: IssueCollector): CsvOptions {
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

/** No two properties read the same source field, and (outside CSV) none reads a field inside another's object. */
export function checkSourcePaths(settings: SourceSettings, columns: Columns, issues: IssueCollector): void {
  const { properties, pathOf } = columns;
  const seen = new Map<string, string>();
  for (const p of properties) {
    const joined = p.sourcePath.join('.');
    const other = seen.get(joined);
    if (other) {
      issues.add(pathOf(p.name), `properties '${other}' and '${p.name}' read the same source field '${joined}'`, 'give each property its own sourcePath');
    }
    seen.set(joined, p.name);
  }
  if (settings.format === 'csv') return;
  for (const p of properties) {
    for (const q of properties) {
      if (p !== q && q.sourcePath.length > p.sourcePath.length && p.sourcePath.every((s, i) => q.sourcePath[i] === s)) {
        issues.add(pathOf(q.name), `sourcePath '${q.sourcePath.join('.')}' lies inside '${p.sourcePath.join('.')}', which property '${p.name}' reads whole`, 'read either the object or its fields');
      }
    }
  }
}

/** The event-time column must be a required date or timestamp property; returns its name ('' when not given). */
export function checkEventTimeColumn(settings: SourceSettings, objectPath: Path, columns: Columns, issues: IssueCollector): string {
  const { properties, indexOf } = columns;
  const eventEntry = settings.eventTime;
  const eventTimeColumn = typeof eventEntry?.value === 'string' ? eventEntry.value : '';
  if (!eventEntry) {
    issues.add([...objectPath], 'no event-time column is declared, so silver cannot be partitioned', 'add customProperties: [{property: eventTimeColumn, value: <a required date or timestamp property>}]');
    return eventTimeColumn;
  }
  const prop = properties.find((p) => p.name === eventTimeColumn);
  if (!prop) {
    if (!indexOf.has(eventTimeColumn)) issues.add(eventEntry.path, `eventTimeColumn '${String(eventEntry.value)}' is not a property of the dataset`, `use one of: ${properties.map((p) => p.name).join(', ')}`);
  } else if (prop.type.logicalType !== 'date' && prop.type.logicalType !== 'timestamp') {
    issues.add(eventEntry.path, `eventTimeColumn '${eventTimeColumn}' is ${prop.type.logicalType}, not a date or timestamp`);
  } else if (!prop.required) {
    issues.add(eventEntry.path, `eventTimeColumn '${eventTimeColumn}' is optional, so some rows would have no partition`, `set required: true on '${eventTimeColumn}'`);
  }
  return eventTimeColumn;
}
