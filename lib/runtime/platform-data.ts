import { resolve } from 'node:path';

/** The folders the platform is defined by: data contracts and Gold SQL. Synth reads them, and the Lambda bundles carry exactly what synth read. */
export interface PlatformData {
  /**
   * Source contracts (`*.yaml` / `*.yml` directly inside) and the Gold output contracts in its `gold/`.
   * @default `contracts/` of the current folder (where `cdk synth` runs)
   */
  readonly contractsDir: string;
  /**
   * Gold SQL: one `gold/<dataset>.sql` per Gold dataset.
   * @default `sql/` of the current folder
   */
  readonly sqlDir: string;
}

/** The folders given, made absolute; `contracts/` and `sql/` of the current folder where none is given. */
export function platformData(options: { readonly contractsDir?: string; readonly sqlDir?: string } = {}): PlatformData {
  return { contractsDir: resolve(options.contractsDir ?? 'contracts'), sqlDir: resolve(options.sqlDir ?? 'sql') };
}
