/**
 * A finding: one discrepancy between the legacy system and the target, named by a fingerprint that stays the same
 * from one rehearsal to the next (entity, check, legacy key, target key, field — never the run), so the same
 * problem in two rehearsals is the same finding.
 */
import { createHash } from "node:crypto"

export type Kind =
  | "missing" // a legacy row that should be in the target is not
  | "extra" // a target row with no legacy origin
  | "different" // a field differs from what the mapping gives
  | "count" // a count does not close
  | "structure" // a table or column is missing or of the wrong type
  | "money" // a money total differs
  | "rule" // a business rule is broken
  | "quarantined" // the migration held a legacy row back: to be fixed at source
  | "flagged" // the migration loaded a row with a warning or an error for a data owner to check
  | "unmapped-code" // a legacy code value no code map knows: to be mapped
  | "possible-duplicate" // two legacy records that may be the same person: to be decided

export type Severity = "error" | "warning" | "info"

/** Where a finding stands against the previous rehearsal of the same series. */
export type Status = "new" | "open" | "resolved" | "regressed" | "accepted"

const statuses: ReadonlyArray<Status> = ["new", "open", "resolved", "regressed", "accepted"]

/** Still to be dealt with: new, open, or back after a fix (not resolved, not accepted). */
export const isStanding = (status: Status): boolean => status === "new" || status === "open" || status === "regressed"

/** How many findings have each status. */
export const countByStatus = (findings: Iterable<{ readonly status: Status }>): Record<Status, number> => {
  const counts = Object.fromEntries(statuses.map((s) => [s, 0])) as Record<Status, number>
  for (const f of findings) counts[f.status] += 1
  return counts
}

export interface Finding {
  readonly check: string
  readonly entity: string
  readonly legacyKey: string | null
  readonly targetKey: string | null
  readonly field: string | null
  readonly kind: Kind
  readonly severity: Severity
  readonly legacyValue: string | null
  readonly targetValue: string | null
  /** The mapping rule behind the field, when one is known. */
  readonly rule: string | null
  /** Why the values differ, when a known cause fits (whitespace, letter case, precision…). */
  readonly explanation: string | null
  readonly message: string
}

/**
 * The kinds of the migration's own row-level issues: items of the data owners' worklists, kept in the ledger beside
 * the reconciliation's findings so that they carry statuses and decisions from one rehearsal to the next.
 */
export const worklistKinds: ReadonlyArray<Kind> = ["quarantined", "flagged", "unmapped-code", "possible-duplicate"]

/** An item of a worklist, not a discrepancy the reconciliation found. */
export const isWorklistItem = (f: { readonly kind?: Kind | undefined }): boolean => f.kind !== undefined && worklistKinds.includes(f.kind)

/**
 * The stable identity of a finding: its entity, check, legacy key, target key and field. A worklist item's adds its
 * rule (two flags of one row and field by different rules are two items) and, for a possible duplicate, the other
 * record's key (kept as its legacy value).
 */
export const fingerprint = (
  f: Pick<Finding, "entity" | "check" | "legacyKey" | "targetKey" | "field"> & Partial<Pick<Finding, "kind" | "rule" | "legacyValue">>
): string =>
  createHash("sha256").update(JSON.stringify(
    isWorklistItem(f)
      ? [f.entity, f.check, f.legacyKey, f.targetKey, f.field, f.rule ?? null, f.kind === "possible-duplicate" ? f.legacyValue ?? null : null]
      : [f.entity, f.check, f.legacyKey, f.targetKey, f.field]
  )).digest("hex").slice(0, 32)

export const make = (finding: Partial<Finding> & Pick<Finding, "check" | "entity" | "kind" | "severity" | "message">): Finding => ({
  legacyKey: null,
  targetKey: null,
  field: null,
  legacyValue: null,
  targetValue: null,
  rule: null,
  explanation: null,
  ...finding
})

/**
 * Where a check puts what it finds, a page at a time: the findings are written to the ledger's staging table as they
 * come, so that memory holds a page however many there are.
 */
export type Emit = (findings: ReadonlyArray<Finding>) => Promise<void>
