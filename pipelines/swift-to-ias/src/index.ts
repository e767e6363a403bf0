/**
 * The SWIFT to LAS and ContrOCC migration.
 */
export * as BusinessChecks from "./checks/BusinessChecks.ts"
export * as HeadlineFigures from "./checks/HeadlineFigures.ts"
export * as CldProjection from "./CldProjection.ts"
export * as LegacyTables from "./LegacyTables.ts"
export * as People from "./steps/People.ts"
export * as Rules from "./Rules.ts"
export * as SwiftPipeline from "./SwiftPipeline.ts"
export * as TargetKey from "./TargetKey.ts"
export * as TargetTables from "./TargetTables.ts"
