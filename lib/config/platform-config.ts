/**
 * The platform config file (`medallion.config.yaml`, or JSON): the stages and their settings, as data.
 * Checked against `platform-config.schema.json` (structure, types, unknown keys) and then by the same stage
 * rules as typed props, every problem reported with its file, line and column.
 */
import { readFileSync } from 'node:fs';
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import { LineCounter, isMap, parseDocument, type Document } from 'yaml';
import { fromPointer, toPointer, yamlPosition, type Path } from '../../lambdas/shared/contracts/parse/issues';
import { yamlSyntaxIssues } from '../../lambdas/shared/contracts/parse/document';
import schema from './platform-config.schema.json';
import { didYouMean } from './did-you-mean';
import { STAGES, StageConfigError, validateStageConfig, type LifecycleConfig, type StageConfig } from './stage-config';

/** Makes every field optional, recursively; lists are replaced whole. */
type Settings<T> = { readonly [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? Settings<T[K]> : T[K] };

/** Lifecycle settings of one bucket in a config: a field set to `null` removes the base's rule (never). */
export type LifecycleSettings = { readonly [K in keyof LifecycleConfig]?: number | null };

/** Settings of one stage: any field of StageConfig, each optional; the rest come from the stage's base and `defaults`. */
export type StageSettings = Omit<Settings<StageConfig>, 'stage' | 'lifecycle'> & {
  readonly lifecycle?: { readonly [B in keyof StageConfig['lifecycle']]?: LifecycleSettings };
};

/** The platform config: what `medallion.config.yaml` holds, or the same as typed props. */
export interface PlatformConfig {
  /** The schema's location, for editors; ignored. @default none */
  readonly $schema?: string;
  /** Settings shared by every stage; a stage's own settings win. @default none */
  readonly defaults?: StageSettings;
  /**
   * The stages by name (1-10 lower case letters or digits, starting with a letter). Each starts from a
   * built-in base: `STAGES.prod` (retain, protected, larger quotas) when the stage is protected, else
   * `STAGES.dev`; then `defaults`, then its own settings. Objects merge key by key; lists and values replace.
   */
  readonly stages: Readonly<Record<string, StageSettings>>;
}

/** One problem of a config file: where, what, and how to fix it. */
export interface ConfigIssue {
  readonly file: string;
  /** JSON pointer of the setting, e.g. `/stages/prod/transform/memoryMb`. */
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  readonly reason: string;
}

/** Thrown for an invalid config: lists every problem as `file:line:column at /pointer: reason`. */
export class PlatformConfigError extends StageConfigError {
  constructor(readonly issues: readonly ConfigIssue[]) {
    const where = (i: ConfigIssue) => (i.line === undefined ? i.file : `${i.file}:${i.line}:${i.column ?? 1}`);
    super(`Invalid platform config (${issues.length === 1 ? '1 problem' : `${issues.length} problems`}):\n${issues.map((i) => `  - ${where(i)} at ${i.path || '(document)'}: ${i.reason}`).join('\n')}`);
    this.name = 'PlatformConfigError';
  }
}

/** Where a config came from: a file's YAML document (for lines), or typed props. */
class Source {
  constructor(
    readonly file: string,
    private readonly doc?: Document,
    private readonly lines?: LineCounter,
  ) {}

  /** An issue at a setting, located at its key (or list item) in the file, else at its nearest ancestor there. */
  issue(path: Path, reason: string): ConfigIssue {
    const at = this.doc && this.lines ? yamlPosition(this.doc, this.lines, path, true) : undefined;
    return { file: this.file, path: toPointer(path), ...(at ?? {}), reason };
  }
}

let validate: ReturnType<Ajv2020['compile']> | undefined;


function schemaIssues(errors: readonly ErrorObject[], source: Source): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const path = fromPointer(e.instancePath);
    let at: Path = path;
    let reason: string;
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String(e.params.additionalProperty);
        at = [...path, key];
        const known = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
        const near = didYouMean(key, known);
        reason = `unknown setting '${key}'${near ? `; did you mean '${near}'?` : ''} (known here: ${known.join(', ')})`;
        break;
      }
      case 'propertyNames':
        continue; // reported by the pattern error that follows with the name
      case 'pattern':
        if (e.propertyName !== undefined) {
          at = [...path, e.propertyName];
          reason = `stage name '${e.propertyName}' must be 1-10 lower case letters or digits, starting with a letter`;
        } else {
          reason = `${JSON.stringify(e.data)} does not match ${String(e.params.pattern)}: ${String((e.parentSchema as { description?: string }).description ?? '')}`;
        }
        break;
      case 'enum':
        reason = `${JSON.stringify(e.data)} is not one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'type':
        reason = `must be ${String(e.params.type).replace(',', ' or ')}, got ${JSON.stringify(e.data)}`;
        break;
      case 'required':
        reason = `missing required setting '${String(e.params.missingProperty)}'`;
        break;
      default:
        reason = `${e.message ?? `fails ${e.keyword}`}, got ${JSON.stringify(e.data)}`;
    }
    const key = `${toPointer(at)}|${reason}`;
    if (!seen.has(key)) issues.push(source.issue(at, reason));
    seen.add(key);
  }
  return issues;
}

/** Checks a config's structure against the JSON Schema. */
function checkSchema(config: unknown, source: Source): void {
  validate ??= new Ajv2020({ allErrors: true, strict: true, verbose: true }).compile(schema);
  if (!validate(config)) throw new PlatformConfigError(schemaIssues(validate.errors ?? [], source));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` merged onto `base`: objects key by key, lists and values replaced, `null` removing the key. */
function merge(base: unknown, over: unknown): unknown {
  if (!isObject(base) || !isObject(over)) return over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else if (v !== undefined) out[k] = merge(base[k], v);
  }
  return out;
}

/** Whether `value` sets the setting at `path` (a `null` counts: it removes the base's value). */
function has(value: unknown, path: readonly string[]): boolean {
  let v = value;
  for (const k of path) {
    if (!isObject(v) || !(k in v)) return false;
    v = v[k];
  }
  return path.length > 0;
}

/**
 * The stage configs a config defines, each checked by the stage rules; a problem is reported at the setting
 * that decided the value (the stage's own, else `defaults`, else the stage itself for a base value).
 */
function stagesOf(config: PlatformConfig, source: Source): Record<string, StageConfig> {
  const stages: Record<string, StageConfig> = {};
  const issues: ConfigIssue[] = [];
  for (const [name, own] of Object.entries(config.stages)) {
    const isProtected = own.protected ?? config.defaults?.protected ?? false;
    const base = isProtected ? STAGES.prod : STAGES.dev;
    const stage = merge(merge({ ...base, stage: name }, config.defaults ?? {}), own) as StageConfig;
    for (const problem of validateStageConfig(stage)) {
      const field = /^([A-Za-z]+(?:\.[A-Za-z]+)*)/.exec(problem)?.[1] ?? '';
      const path = field === 'stage' ? [] : field.split('.');
      const at: Path = has(own, path) ? ['stages', name, ...path] : has(config.defaults, path) ? ['defaults', ...path] : ['stages', name];
      issues.push(source.issue(at, at.length === 2 && path.length > 0 ? `${problem} (the value of the built-in ${isProtected ? 'prod' : 'dev'} base; set ${field} here)` : problem));
    }
    stages[name] = stage;
  }
  if (issues.length > 0) throw new PlatformConfigError(issues);
  return stages;
}

/**
 * The stage configs of typed config props: checked against the JSON Schema and the stage rules.
 * @throws PlatformConfigError listing every problem, at its JSON pointer
 */
export function resolveStages(config: PlatformConfig, origin = 'platform config (props)'): Record<string, StageConfig> {
  const source = new Source(origin);
  checkSchema(config, source);
  return stagesOf(config, source);
}

/**
 * Reads a config file (YAML, or JSON which is YAML too): syntax errors, duplicate keys, the JSON Schema and
 * the stage rules are reported with their line and column.
 * @throws PlatformConfigError listing every problem
 */
export function loadPlatformConfig(file: string): { config: PlatformConfig; stages: Record<string, StageConfig> } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new PlatformConfigError([{ file, path: '', reason: `cannot read the config file: ${(e as Error).message}` }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const source = new Source(file, doc, lines);
  if (doc.errors.length > 0) throw new PlatformConfigError(yamlSyntaxIssues(text, doc, file));
  if (!isMap(doc.contents)) throw new PlatformConfigError([source.issue([], 'the config must be a map with a `stages` key at the top level')]);
  const config = doc.toJS() as PlatformConfig;
  checkSchema(config, source);
  return { config, stages: stagesOf(config, source) };
}
