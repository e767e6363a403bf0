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

/** The stable identity of a finding. */
export const fingerprint = (f: Pick<Finding, "entity" | "check" | "legacyKey" | "targetKey" | "field">): string =>
  createHash("sha256").update(JSON.stringify([f.entity, f.check, f.legacyKey, f.targetKey, f.field])).digest("hex").slice(0, 32)

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
