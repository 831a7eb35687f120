import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

export interface Resource {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly Metadata?: Record<string, Json>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, Resource>;
  readonly Outputs?: Record<string, { Value: Json }>;
}

/** A Lambda function of a synthesized template whose code is an asset folder. */
export interface BundledFunction {
  readonly stack: string;
  readonly logicalId: string;
  /** The construct path without `/Resource`, e.g. `medallion-dev-transform/Transform/Function`. */
  readonly path: string;
  readonly handler: string;
  readonly runtime: string;
  readonly architectures: readonly string[];
  /** The asset folder in the cloud assembly. */
  readonly assetDir: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** The template's Environment.Variables, unresolved. */
  readonly environment: Readonly<Record<string, Json>>;
}

/** A Lambda function of the templates that is not bundled from an asset folder (inline code). */
export interface InlineFunction {
  readonly path: string;
  readonly runtime: string;
}

export interface Assembly {
  readonly directory: string;
  readonly templates: Readonly<Record<string, CfnTemplate>>;
  readonly functions: readonly BundledFunction[];
  readonly inline: readonly InlineFunction[];
}

const constructPath = (stack: string, id: string, r: Resource) => String(r.Metadata?.['aws:cdk:path'] ?? `${stack}/${id}`).replace(/\/Resource$/, '');

/** Every AWS::Lambda::Function of every template of a cloud assembly folder. */
export function readAssembly(directory: string): Assembly {
  const templates: Record<string, CfnTemplate> = {};
  for (const file of readdirSync(directory).filter((f) => f.endsWith('.template.json'))) {
    templates[file.replace(/\.template\.json$/, '')] = JSON.parse(readFileSync(join(directory, file), 'utf8')) as CfnTemplate;
  }
  const functions: BundledFunction[] = [];
  const inline: InlineFunction[] = [];
  for (const [stack, template] of Object.entries(templates)) {
    for (const [id, r] of Object.entries(template.Resources)) {
      if (r.Type !== 'AWS::Lambda::Function') continue;
      const p = r.Properties ?? {};
      const asset = r.Metadata?.['aws:asset:path'];
      if (typeof asset !== 'string' || (r.Metadata?.['aws:asset:property'] ?? 'Code') !== 'Code') {
        inline.push({ path: constructPath(stack, id, r), runtime: String(p.Runtime) });
        continue;
      }
      functions.push({
        stack,
        logicalId: id,
        path: constructPath(stack, id, r),
        handler: String(p.Handler),
        runtime: String(p.Runtime),
        architectures: (p.Architectures as string[] | undefined) ?? ['x86_64'],
        assetDir: join(directory, asset),
        memoryMb: Number(p.MemorySize ?? 128),
        timeoutSeconds: Number(p.Timeout ?? 3),
        environment: ((p.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {}),
      });
    }
  }
  return { directory, templates, functions, inline };
}

/** Values of pseudo parameters, and of the resources an environment refers to, as the emulator has them. */
export interface Resolution {
  readonly account: string;
  readonly region: string;
  /** The emulator's value of `Ref` (attribute undefined) or `Fn::GetAtt` of a resource; undefined when there is none. */
  resource(stack: string, logicalId: string, resource: Resource, attribute: string | undefined, resolveIn: (value: Json) => string): string | undefined;
}

/**
 * Resolves a template value: pseudo parameters, Ref and Fn::GetAtt of resources (through `resolution`),
 * Fn::GetStackOutput (the other stack's output, resolved in that stack), Fn::Join, Fn::Select, Fn::Split.
 * @throws Error naming what it cannot resolve, so that a new kind of reference fails the test loudly
 */
export function resolveValue(assembly: Assembly, stack: string, value: Json, resolution: Resolution): string {
  const resolveIn = (s: string) => (v: Json) => resolveValue(assembly, s, v, resolution);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && !Array.isArray(value) && Object.keys(value).length === 1) {
    const [fn, arg] = Object.entries(value)[0];
    const pseudo: Record<string, string> = { 'AWS::AccountId': resolution.account, 'AWS::Region': resolution.region, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
    if (fn === 'Ref' && typeof arg === 'string' && pseudo[arg]) return pseudo[arg];
    if (fn === 'Ref' || fn === 'Fn::GetAtt') {
      const [id, attribute] = fn === 'Ref' ? [arg as string, undefined] : (arg as [string, string]);
      const resource = assembly.templates[stack]?.Resources[id];
      if (!resource) throw new Error(`${stack}: ${fn} of ${id}, which the template does not have`);
      const resolved = resolution.resource(stack, id, resource, attribute, resolveIn(stack));
      if (resolved === undefined) throw new Error(`${stack}: no local value for ${fn} of ${id} (${resource.Type}${attribute ? `.${attribute}` : ''})`);
      return resolved;
    }
    if (fn === 'Fn::GetStackOutput') {
      const { StackName, OutputName } = arg as { StackName: string; OutputName: string };
      const output = assembly.templates[StackName]?.Outputs?.[OutputName];
      if (!output) throw new Error(`${stack}: Fn::GetStackOutput ${StackName}.${OutputName}, which is not an output of the assembly`);
      return resolveValue(assembly, StackName, output.Value, resolution);
    }
    if (fn === 'Fn::Join') {
      const [separator, parts] = arg as [string, Json[]];
      return parts.map(resolveIn(stack)).join(separator);
    }
    if (fn === 'Fn::Select') {
      const [index, list] = arg as [Json, Json];
      return resolveList(assembly, stack, list, resolution)[Number(resolveIn(stack)(index))];
    }
  }
  throw new Error(`${stack}: cannot resolve ${JSON.stringify(value)}`);
}

function resolveList(assembly: Assembly, stack: string, value: Json, resolution: Resolution): string[] {
  if (Array.isArray(value)) return value.map((v) => resolveValue(assembly, stack, v, resolution));
  const split = (value as { 'Fn::Split'?: [string, Json] })['Fn::Split'];
  if (split) return resolveValue(assembly, stack, split[1], resolution).split(split[0]);
  throw new Error(`${stack}: cannot resolve the list ${JSON.stringify(value)}`);
}

/** The function's environment variables with every reference resolved. */
export function resolveEnvironment(assembly: Assembly, fn: BundledFunction, resolution: Resolution): Record<string, string> {
  return Object.fromEntries(
    Object.entries(fn.environment).map(([name, value]) => {
      try {
        return [name, resolveValue(assembly, fn.stack, value, resolution)];
      } catch (e) {
        throw new Error(`${fn.path}: environment variable ${name}: ${(e as Error).message}`);
      }
    }),
  );
}
