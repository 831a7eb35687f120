#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
// The example app consumes the library's public entry point, as a team's own app would.
import { addPlatform, ContractError, StageConfigError } from '../lib';

const app = new App();
const stage = (app.node.tryGetContext('stage') as string | undefined) ?? 'dev';
const contractsDir = app.node.tryGetContext('contractsDir') as string | undefined;
const sqlDir = app.node.tryGetContext('sqlDir') as string | undefined;
// The stages and their settings: medallion.config.yaml, or another file with -c config=<file>.
const config = (app.node.tryGetContext('config') as string | undefined) ?? 'medallion.config.yaml';
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
try {
  addPlatform(app, { stage, config, contractsDir, sqlDir, env: account && region ? { account, region } : undefined });
} catch (e) {
  // A bad contract or stage config is the user's to fix: show the message, not a stack trace.
  if (e instanceof ContractError || e instanceof StageConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
app.synth();
