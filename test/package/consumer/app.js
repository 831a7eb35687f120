#!/usr/bin/env node
// A team's own CDK app: the platform as a Stage, as a CDK Pipelines pipeline would add it.
const { App } = require('aws-cdk-lib');
const { MedallionStage } = require('medallion-platform');

const app = new App();
for (const stage of ['dev', 'prod']) {
  new MedallionStage(app, `Acme-${stage}`, {
    stage,
    config: 'medallion.config.yaml',
    contractsDir: 'contracts',
    sqlDir: 'sql',
    env: { account: '111111111111', region: 'eu-west-1' },
  });
}
app.synth();
