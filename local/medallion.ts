#!/usr/bin/env node
/**
 * The package's command line (`npx medallion …`): `medallion local run|serve|generate` runs the local
 * platform on the project in the current folder (its contracts/, sql/ and medallion.config.yaml), with the
 * same handlers, contracts and SQL as the deployed platform.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { packageRoot } from '../lib/runtime/function-code';
import { localCommand, requireSupportedNode } from './cli';

requireSupportedNode();
const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };

new Command('medallion')
  .description('medallion-platform: a medallion data lake on AWS, driven by data contracts and SQL.')
  .version(version)
  .addCommand(localCommand())
  .parseAsync(process.argv)
  .catch((e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(1);
  });
