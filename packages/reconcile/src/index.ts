/**
 * Reconciliation: checks of a migrated target against its legacy source, findings with stable fingerprints, and the
 * ledger that carries them across rehearsals.
 */
export * as Canonical from "./Canonical.ts"
export * as CountCheck from "./CountCheck.ts"
export * as Explain from "./Explain.ts"
export * as Finding from "./Finding.ts"
export * as FindingsLedger from "./FindingsLedger.ts"
export * as Reconcile from "./Reconcile.ts"
export * as RecordCheck from "./RecordCheck.ts"
export * as StructureCheck from "./StructureCheck.ts"
export * as CanonicalHash from "./CanonicalHash.ts"
export * as TableDiff from "./TableDiff.ts"
export * as Figure from "./Figure.ts"
export * as TableDiffSql from "./TableDiffSql.ts"
export * as WorklistItems from "./WorklistItems.ts"
export * as Decisions from "./Decisions.ts"
export * as Verify from "./Verify.ts"
