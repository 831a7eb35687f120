/**
 * medallion-platform's public API: the platform as a CDK Stage or as stacks added to an app, the stage
 * configuration, and the building blocks each stack is made of.
 */
export { addPlatform, platformStages, MedallionStage, type MedallionStageProps, type Platform, type PlatformOptions } from './platform';
export { STAGES, stageConfig, StageConfigError, type ApiConfig, type LifecycleConfig, type StageConfig } from './config/stage-config';
export { loadPlatformConfig, PlatformConfigError, resolveStages, type ConfigIssue, type LifecycleSettings, type PlatformConfig, type StageSettings } from './config/platform-config';
export { platformData, type PlatformData } from './runtime/platform-data';
export { StorageStack } from './storage/storage-stack';
export { CatalogStack } from './catalog/catalog-stack';
export { TransformStack } from './transform/transform-stack';
export { GoldStack } from './gold/gold-stack';
export { OrchestrationStack } from './orchestration/orchestration-stack';
export { ApiStack } from './api/api-stack';
export { ObservabilityStack } from './observability/observability-stack';
export { ContractError } from '../lambdas/shared/contracts';
