import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { AssetHashType, DockerImage, type BundlingOptions, type ILocalBundling } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { contractFiles } from '../../lambdas/shared/contracts';
import { goldSqlFiles } from '../../lambdas/shared/gold';
import type * as Esbuild from 'esbuild';
import type { PlatformData } from './platform-data';

/**
 * How the platform's Lambda code reaches a deployment.
 *
 * The package ships every function pre-bundled under `assets/<function>/` (`npm run build`, which runs
 * before `npm pack`): one minified CommonJS file with its source map, and for the transform the DuckDB
 * package with its linux-arm64 binding. Synth then only copies files, so a consumer needs neither esbuild
 * nor Docker nor a registry. In this repository, where `assets/` does not exist, synth bundles the functions
 * from `lambdas/` with esbuild, with the same options, so a change to a handler is deployed without a build
 * step. Both paths end in `stageFunction`, which also copies the contracts and SQL synth read.
 */

/** esbuild target matching the Lambda runtime: it decides the emitted syntax, whatever Node runs the build. */
export const PLATFORM_ESBUILD_TARGET = 'node24';
/** The DuckDB package shipped in the transform's asset; its native binding is installed for linux-arm64. */
export const DUCKDB_PACKAGE = '@duckdb/node-api';

/** Where a function's code comes from. */
export interface FunctionSource {
  /** Name of the function's folder in the package's `assets/`: `transform`, `query`, … */
  readonly name: string;
  /** The handler module, bundled when no pre-built asset exists (this repository, tests). */
  readonly entry: string;
  /** Packages installed into the asset's node_modules (native modules) instead of being bundled. @default none */
  readonly nodeModules?: readonly string[];
}

/** What a function needs in its bundle, under `/var/task`: source contracts, Gold contracts, Gold SQL. */
export type BundledData = 'contracts' | 'gold-contracts' | 'sql';

/** The root of this package: the folder of its package.json (the repository, or node_modules/medallion-platform). */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'medallion-platform') return dir;
    if (dirname(dir) === dir) throw new Error(`medallion-platform: no package.json of medallion-platform above ${from}`);
  }
}

const LAMBDAS = join(packageRoot(), 'lambdas');

/** The platform's functions: asset name, handler module under lambdas/, native packages. */
export const PLATFORM_FUNCTIONS = {
  transform: { name: 'transform', entry: join(LAMBDAS, 'transform', 'handler.ts'), nodeModules: [DUCKDB_PACKAGE] },
  query: { name: 'query', entry: join(LAMBDAS, 'api', 'query-handler.ts') },
  ingest: { name: 'ingest', entry: join(LAMBDAS, 'api', 'ingest-handler.ts') },
  goldViews: { name: 'gold-views', entry: join(LAMBDAS, 'gold-views', 'handler.ts') },
  goldBuild: { name: 'gold-build', entry: join(LAMBDAS, 'gold-build', 'handler.ts') },
  plan: { name: 'gold-build-plan', entry: join(LAMBDAS, 'orchestration', 'plan.ts') },
  record: { name: 'gold-build-record', entry: join(LAMBDAS, 'orchestration', 'record.ts') },
  replay: { name: 'replay', entry: join(LAMBDAS, 'orchestration', 'replay.ts') },
} as const satisfies Record<string, FunctionSource>;

/**
 * The pre-built asset folder of a function when this code runs from the package's compiled JavaScript
 * (`dist/`). Running from the TypeScript sources (this repository), functions are always bundled from
 * source, so an earlier `npm run build` never deploys stale code.
 */
export function prebuiltAsset(name: string): string | undefined {
  if (!__filename.endsWith('.js')) return undefined;
  const dir = join(packageRoot(), 'dist', 'assets', name);
  if (!existsSync(join(dir, 'index.js'))) throw new Error(`medallion-platform: the package has no pre-built asset for the ${name} function (${dir}); reinstall the package`);
  return dir;
}

/**
 * npm never packs a folder named node_modules, so the pre-built transform keeps its native packages under
 * this name and staging renames it back.
 */
const PACKED_NODE_MODULES = 'asset_modules';

/** The cache of per-machine downloads (the arm64 DuckDB packages), shared by checkouts and CI runs. */
export function machineCacheDir(): string {
  return process.env.MEDALLION_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'medallion-platform');
}

function installedVersion(pkg: string): string {
  return (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`, { paths: [packageRoot()] }), 'utf8')) as { version: string }).version;
}

/**
 * A node_modules folder holding `packages` (at the versions installed here, i.e. the lockfile's) for
 * linux-arm64 glibc: npm installs the optional native binding of the Lambda's platform, not this machine's.
 * Installed once per machine into the cache; later synths are offline.
 */
export function lambdaNodeModules(packages: readonly string[]): string {
  const versions = Object.fromEntries([...packages].sort().map((p) => [p, installedVersion(p)]));
  const specs = Object.entries(versions).map(([p, v]) => `${p}@${v}`);
  const key = createHash('sha256').update(specs.join('\n')).digest('hex').slice(0, 16);
  const dir = join(machineCacheDir(), 'lambda-node-modules', `linux-arm64-${key}`);
  if (existsSync(join(dir, '.complete'))) return join(dir, 'node_modules');
  mkdirSync(dirname(dir), { recursive: true });
  const work = mkdtempSync(`${dir}.installing-`);
  try {
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'lambda-node-modules', private: true, dependencies: versions }));
    const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', '--os=linux', '--cpu=arm64', '--libc=glibc'], { cwd: work, encoding: 'utf8' });
    if (npm.status !== 0) throw new Error(`could not install ${specs.join(', ')} for linux-arm64 (npm install in ${work}): ${npm.stderr || npm.error?.message}`);
    writeFileSync(join(work, '.complete'), specs.join('\n'));
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return join(dir, 'node_modules');
}

/**
 * Bundles a function from its TypeScript source into `outDir`: `index.js` (minified CommonJS for
 * PLATFORM_ESBUILD_TARGET, every dependency inside, the AWS SDK included so the lockfile's version is the
 * one deployed) and `index.js.map`, plus `node_modules/` with the native packages for linux-arm64.
 * `packedModules` names that folder `asset_modules` (see PACKED_NODE_MODULES) for the package build.
 */
export function bundleFunction(source: FunctionSource, outDir: string, options: { packedModules?: boolean } = {}): void {
  // esbuild is a build tool (devDependency): only this repository and the package build bundle.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof Esbuild;
  mkdirSync(outDir, { recursive: true });
  esbuild.buildSync({
    entryPoints: [source.entry],
    outfile: join(outDir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: PLATFORM_ESBUILD_TARGET,
    format: 'cjs',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: [...(source.nodeModules ?? [])],
    logLevel: 'error',
  });
  if (source.nodeModules?.length) {
    cpSync(lambdaNodeModules(source.nodeModules), join(outDir, options.packedModules ? PACKED_NODE_MODULES : 'node_modules'), { recursive: true });
  }
}

/** The data files of `parts`, as [absolute source, path inside the asset]. */
export function bundledDataFiles(data: PlatformData, parts: readonly BundledData[]): [string, string][] {
  const files: [string, string][] = [];
  const add = (from: string, to: string, names: string[]) => files.push(...names.map((f): [string, string] => [join(from, f), join(to, f)]));
  if (parts.includes('contracts')) add(data.contractsDir, 'contracts', contractFiles(data.contractsDir));
  if (parts.includes('gold-contracts')) add(join(data.contractsDir, 'gold'), join('contracts', 'gold'), contractFiles(join(data.contractsDir, 'gold')));
  if (parts.includes('sql')) add(join(data.sqlDir, 'gold'), join('sql', 'gold'), goldSqlFiles(data.sqlDir));
  return files;
}

/** Writes a function's deployable folder into `outDir`: its code (pre-built or bundled now) and its data files. */
export function stageFunction(source: FunctionSource, outDir: string, data?: { data: PlatformData; parts: readonly BundledData[] }): void {
  const prebuilt = prebuiltAsset(source.name);
  if (prebuilt) {
    cpSync(prebuilt, outDir, { recursive: true });
    if (existsSync(join(outDir, PACKED_NODE_MODULES))) renameSync(join(outDir, PACKED_NODE_MODULES), join(outDir, 'node_modules'));
  } else {
    bundleFunction(source, outDir);
  }
  for (const [from, to] of data ? bundledDataFiles(data.data, data.parts) : []) {
    mkdirSync(dirname(join(outDir, to)), { recursive: true });
    cpSync(from, join(outDir, to));
  }
}

/** Local bundling (no Docker): stages the function. Its fields are part of CDK's asset cache key. */
class StageLocally implements ILocalBundling {
  /** The data files' names and contents: two syntheses with different contracts never share a staged asset. */
  readonly fingerprint: string;

  constructor(
    private readonly source: FunctionSource,
    private readonly data?: { data: PlatformData; parts: readonly BundledData[] },
  ) {
    const hash = createHash('sha256').update(source.name);
    for (const [from, to] of data ? bundledDataFiles(data.data, data.parts) : []) hash.update(`\0${to}\0`).update(readFileSync(from));
    this.fingerprint = hash.digest('hex');
  }

  tryBundle(outputDir: string): boolean {
    stageFunction(this.source, outputDir, this.data);
    return true;
  }
}

/**
 * The Lambda code of a platform function: its pre-built asset (package) or its bundle (repository), with the
 * data files synth read. The asset hash is the staged output's, so a changed contract or handler deploys.
 */
export function functionCode(source: FunctionSource, data?: { data: PlatformData; parts: readonly BundledData[] }): lambda.Code {
  const local = new StageLocally(source, data);
  const bundling: BundlingOptions = {
    // Never pulled: local bundling always succeeds, so no Docker is needed.
    image: DockerImage.fromRegistry('medallion-platform/local-bundling-only'),
    local,
  };
  const sourceDir = prebuiltAsset(source.name) ?? dirname(source.entry);
  return lambda.Code.fromAsset(sourceDir, { assetHashType: AssetHashType.OUTPUT, bundling });
}

/** Files of a folder, recursively, relative to it (for tests and the package build's report). */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => relative(dir, join(dir, f)))
    .sort();
}
