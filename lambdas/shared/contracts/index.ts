/**
 * Data contracts: the one module through which the CDK app (lib/) and the Lambda handlers (lambdas/) read
 * contracts/. It never imports aws-cdk-lib.
 */
export * from './errors';
export * from './lineage';
export * from './load';
export * from './model';
export * from './parse';
export * from './types';
