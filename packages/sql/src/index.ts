/**
 * Databases for Handover: one driver interface over PostgreSQL, PGlite and SQL Server.
 */
export * as Arrays from "./Arrays.ts"
export * as ConnectionUrl from "./ConnectionUrl.ts"
export * as CopyText from "./CopyText.ts"
export * as Database from "./Database.ts"
export * as Driver from "./Driver.ts"
export * as SqlDialect from "./SqlDialect.ts"
export * as Table from "./Table.ts"
export * as ControlSchema from "./ControlSchema.ts"
export * as Retry from "./Retry.ts"
export * as Names from "./Names.ts"
export * as Hold from "./Hold.ts"
export * as TableShape from "./TableShape.ts"
