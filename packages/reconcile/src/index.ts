/**
 * Reconciliation: checks of a migrated target against its legacy source, findings with stable fingerprints, and the
 * ledger that carries them across rehearsals.
 */
export * as Finding from "./Finding.ts"
