import { join, resolve } from 'node:path';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import { contractFiles } from '../../lambdas/shared/contracts';
import { goldSqlFiles } from '../../lambdas/shared/gold';

const ROOT = join(__dirname, '..', '..');

/** The folders the platform is defined by: data contracts and Gold SQL. Synth reads them, and the Lambda bundles carry exactly what synth read. */
export interface PlatformData {
  /**
   * Source contracts (`*.yaml` / `*.yml` directly inside) and the Gold output contracts in its `gold/`.
   * @default the repository's contracts/
   */
  readonly contractsDir: string;
  /**
   * Gold SQL: one `gold/<dataset>.sql` per Gold dataset.
   * @default the repository's sql/
   */
  readonly sqlDir: string;
}

/** The folders given, made absolute; the repository's own where none is given. */
export function platformData(options: { readonly contractsDir?: string; readonly sqlDir?: string } = {}): PlatformData {
  return { contractsDir: resolve(options.contractsDir ?? join(ROOT, 'contracts')), sqlDir: resolve(options.sqlDir ?? join(ROOT, 'sql')) };
}

/** What a function needs in its bundle, under `/var/task`: source contracts, Gold contracts, Gold SQL. */
export type BundledData = 'contracts' | 'gold-contracts' | 'sql';

const shell = (path: string): string => `'${path.replace(/'/g, `'\\''`)}'`;

/**
 * Bundling hooks that copy into the asset the very files the platform read at synth: every contract file
 * `loadContracts` reads (`contracts/`), the Gold contracts (`contracts/gold/`) and the Gold SQL files
 * (`sql/gold/`), each named explicitly, so a `.yml` contract or a consumer's own folder reaches the function.
 */
export function bundledDataHooks(data: PlatformData, parts: readonly BundledData[]): ICommandHooks {
  const copies: [string, string, string[]][] = [];
  if (parts.includes('contracts')) copies.push([data.contractsDir, 'contracts', contractFiles(data.contractsDir)]);
  if (parts.includes('gold-contracts')) copies.push([join(data.contractsDir, 'gold'), join('contracts', 'gold'), contractFiles(join(data.contractsDir, 'gold'))]);
  if (parts.includes('sql')) copies.push([join(data.sqlDir, 'gold'), join('sql', 'gold'), goldSqlFiles(data.sqlDir)]);
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_input: string, output: string) =>
      copies.flatMap(([from, to, files]) => [`mkdir -p ${shell(join(output, to))}`, ...files.map((f) => `cp ${shell(join(from, f))} ${shell(join(output, to, f))}`)]),
  };
}
