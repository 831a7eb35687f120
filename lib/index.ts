/**
 * medallion-platform's public API: the platform as a CDK Stage or as stacks added to an app; its
 * configuration (file or typed props); one stack per concern; and the constructs each stack is made of,
 * for teams that place them in stacks of their own. The parts pass one another resources
 * (`PlatformStorage`, `PlatformCatalog`, functions, topics), never whole stacks.
 */
export { addPlatform, platformStages, MedallionStage, type MedallionStageProps, type Platform, type PlatformOptions } from './platform';
export { STAGES, stageConfig, StageConfigError, type ApiConfig, type LifecycleConfig, type StageConfig } from './config/stage-config';
export { loadPlatformConfig, PlatformConfigError, resolveStages, type ConfigIssue, type LifecycleSettings, type PlatformConfig, type StageSettings } from './config/platform-config';
export { platformData, type PlatformData } from './runtime/platform-data';
export { PlatformFunction, PLATFORM_ARCHITECTURE, PLATFORM_RUNTIME, type PlatformFunctionProps } from './runtime/platform-function';
export { PLATFORM_FUNCTIONS, type BundledData, type FunctionSource } from './runtime/function-code';
export { PLATFORM_FEATURE_FLAGS } from './feature-flags';
export { dependOnOwners, type PlatformCatalog, type PlatformDatabases, type PlatformStorage } from './platform-resources';

// Storage
export { StorageStack, BRONZE_NO_READERS_WARNING, type StorageStackProps } from './storage/storage-stack';
export { DataLakeBucket, type DataLakeBucketProps } from './storage/data-lake-bucket';
export { BronzeNotificationQueue, type BronzeNotificationQueueProps } from './storage/bronze-notification-queue';
// Catalog
export { CatalogStack, CATALOG_LAYERS, type CatalogLayer, type CatalogStackProps } from './catalog/catalog-stack';
export { AthenaWorkgroup, type AthenaWorkgroupProps } from './catalog/athena-workgroup';
export { ContractTables, type ContractTablesProps } from './catalog/contract-tables';
// Transform
export { TransformStack, type TransformStackProps } from './transform/transform-stack';
export { TransformPipeline, type TransformPipelineProps } from './transform/transform-pipeline';
// Gold
export { GoldStack, type GoldStackProps, type GrantReadGoldOptions } from './gold/gold-stack';
export { GoldViews, type GoldViewsProps } from './gold/gold-views';
export { GoldBuild, type GoldBuildProps } from './gold/gold-build';
// Orchestration
export { OrchestrationStack, type OrchestrationStackProps } from './orchestration/orchestration-stack';
export { GoldBuildStateMachine, type GoldBuildStateMachineProps } from './orchestration/gold-build-state-machine';
export { ReplayStateMachine, type ReplayStateMachineProps } from './orchestration/replay-state-machine';
export { OperationsTables, type OperationsTablesProps } from './orchestration/operations-tables';
// API
export { ApiStack, type ApiStackProps } from './api/api-stack';
export { PlatformRestApi, type PlatformRestApiProps } from './api/platform-rest-api';
export { QueryFunction, type QueryFunctionProps } from './api/query-function';
export { IngestFunction, type IngestFunctionProps } from './api/ingest-function';
// Observability
export { ObservabilityStack, type ObservabilityStackProps } from './observability/observability-stack';
export { PlatformDashboard, type PlatformDashboardProps } from './observability/platform-dashboard';
export { PlatformAlarms, type PlatformAlarmsProps } from './observability/platform-alarms';

export { ContractError } from '../lambdas/shared/contracts';
