/**
 * A small example migration that proves the engine end to end.
 */
export * as ExamplePipeline from "./ExamplePipeline.ts"
export * as LegacyTables from "./LegacyTables.ts"
export * as TargetTables from "./TargetTables.ts"
