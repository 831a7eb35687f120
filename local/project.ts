import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadPlatformConfig } from '../lib/config/platform-config';
import { STAGES, stageConfig, type StageConfig } from '../lib/config/stage-config';
import { defaultContractsDir, loadContracts, loadGoldContracts } from '../lambdas/shared/contracts';
import { defaultSqlDir, goldDatasets } from '../lambdas/shared/gold';

/**
 * The project the local platform runs: its contracts, Gold SQL and config file, as `cdk synth` reads them.
 * Set by the CLI's `--contracts`, `--sql`, `--config`, `--stage` (or CONTRACTS_DIR, SQL_DIR,
 * MEDALLION_CONFIG, MEDALLION_STAGE); by default `contracts/`, `sql/` and `medallion.config.yaml` of the
 * current folder, and the config's `dev` stage (else its first).
 */
export interface LocalProject {
  readonly contractsDir: string;
  readonly sqlDir: string;
  /** The config file, when there is one; else the built-in stages. */
  readonly configFile?: string;
  readonly stages: Readonly<Record<string, StageConfig>>;
  readonly config: StageConfig;
}

/** The config file the local platform reads: MEDALLION_CONFIG, else ./medallion.config.yaml when present. */
export function localConfigFile(): string | undefined {
  if (process.env.MEDALLION_CONFIG) return resolve(process.env.MEDALLION_CONFIG);
  return existsSync('medallion.config.yaml') ? resolve('medallion.config.yaml') : undefined;
}

/**
 * The project, checked as synth checks it: the config file, the stage, every contract and the Gold SQL.
 * @throws PlatformConfigError, StageConfigError or ContractError with synth's message
 */
export function localProject(stage?: string): LocalProject {
  const configFile = localConfigFile();
  const stages = configFile ? loadPlatformConfig(configFile).stages : STAGES;
  const name = stage ?? process.env.MEDALLION_STAGE ?? ('dev' in stages ? 'dev' : Object.keys(stages)[0]);
  const config = stageConfig(name, stages);
  const contractsDir = defaultContractsDir();
  const sqlDir = defaultSqlDir();
  if (!existsSync(contractsDir)) throw new Error(`no contracts folder at ${contractsDir}; pass --contracts <dir> (or run from the folder holding contracts/)`);
  loadContracts(contractsDir);
  loadGoldContracts(join(contractsDir, 'gold'));
  goldDatasets(sqlDir);
  return { contractsDir, sqlDir, configFile, stages, config };
}
