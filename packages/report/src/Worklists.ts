/**
 * The data owners' worklists: the items of the ledger a person acts on, one list per kind of action — rows to fix at
 * source (the migration held them back), rows to check (migrated with a warning or an error), code values to map,
 * and possible duplicates to decide. Each row starts with the item's fingerprint and ends with the columns a person
 * fills in (`decision`, `reason`, `by`, `until`, and `map to` for a code value), filled with the decision already in
 * force, so that a workbook saved and given back carries every decision.
 */
import { type FindingsLedger, WorklistItems } from "@handover/reconcile"
import type * as ReportData from "./ReportData.ts"
import type { Owner } from "./Summary.ts"

/** A cell of a worklist: text, a whole number, or nothing. */
export type Cell = string | number | null

export interface Column {
  readonly header: string
  readonly value: (item: FindingsLedger.LedgerFinding, owner: string) => Cell
}

export interface Worklist {
  /** The file name of its CSV file, `worklist-<id>.csv`. */
  readonly id: string
  /** Its sheet's name in the workbook and its heading in the HTML. */
  readonly title: string
  /** The ledger check whose items it lists. */
  readonly check: string
  /** What it asks of a person, in a sentence. */
  readonly description: string
  /** The decisions a person may take on its items, in the words of the drop-down list. */
  readonly decisions: ReadonlyArray<string>
  /** The columns between the fingerprint and the ones a person fills in. */
  readonly columns: ReadonlyArray<Column>
  /** Whether a person names the value to map to (`map to`). */
  readonly mapTo: boolean
}

/** The owner of items that are no data owner's: the migration team. */
export const migrationTeam = "Migration team"

/** The owner of an item: the first owner whose entities include the item's entity, else the migration team. */
export const ownerOf = (owners: ReadonlyArray<Owner>, entity: string): string =>
  owners.find((o) => o.entities.includes(entity))?.name ?? migrationTeam

const column = (header: string, value: Column["value"]): Column => ({ header, value })
const status = column("status", (f) => f.status)
const owner = column("owner", (_, o) => o)
const entity = column("entity", (f) => f.entity)
const legacyKey = column("legacy key", (f) => f.legacyKey)
const field = column("field", (f) => f.field)
const rule = column("rule", (f) => f.rule)
const severity = column("severity", (f) => f.severity)
const message = column("message", (f) => f.message)

/** The decisions that mark an item for its owner; it is resolved when the next rehearsal no longer sees it. */
const fixes = ["fix at source", "fix in mapping", "fix by supplier"] as const

export const worklists: ReadonlyArray<Worklist> = [
  {
    id: "fix-at-source",
    title: "Fix at source",
    check: WorklistItems.checks.quarantine,
    description: "Legacy rows the migration held back: fix each in the legacy system, or decide it is not to be migrated",
    decisions: [...fixes, "do not migrate", "accepted"],
    columns: [status, owner, entity, legacyKey, field, column("legacy value", (f) => f.legacyValue), rule, column("why held back", (f) => f.message)],
    mapTo: false
  },
  {
    id: "check",
    title: "Check",
    check: WorklistItems.checks.flag,
    description: "Rows migrated with a warning or an error: check each, and fix it at source or accept it",
    decisions: [...fixes, "do not migrate", "accepted"],
    columns: [status, owner, severity, entity, legacyKey, field, rule, message],
    mapTo: false
  },
  {
    id: "code-mapping",
    title: "Code mapping",
    check: WorklistItems.checks.codeMapping,
    description: "Legacy code values no code map knows: name the value each maps to",
    decisions: ["map to", ...fixes, "accepted"],
    columns: [
      status,
      owner,
      column("code system", (f) => f.field),
      column("legacy value", (f) => f.legacyValue),
      column("rows", (f) => (f.targetValue === null ? null : Number(f.targetValue))),
      severity,
      message
    ],
    mapTo: true
  },
  {
    id: "possible-duplicates",
    title: "Possible duplicates",
    check: WorklistItems.checks.possibleDuplicate,
    description: "Pairs of records that may be the same person: decide whether they are",
    decisions: ["same person", "different people"],
    columns: [
      status,
      owner,
      entity,
      legacyKey,
      column("other legacy key", (f) => f.legacyValue),
      rule,
      column("why they were paired", (f) => f.message)
    ],
    mapTo: false
  }
]

/**
 * The decisions a person may take on a finding of the reconciliation, on its check's sheet: accept it, or mark it for
 * a fix at source, in the mapping or by the supplier.
 */
export const findingDecisions: ReadonlyArray<string> = ["accepted", ...fixes]

/** The columns a person fills in on a check's sheet, after the finding's own. */
export const findingDecisionHeaders: ReadonlyArray<string> = ["decision", "reason", "by", "until"]

/** The decision in force on a finding, as the cells of the columns a person fills in. */
export const decisionCells = (decision: ReportData.Decision | undefined): ReadonlyArray<Cell> =>
  decision === undefined ? [null, null, null, null] : [decisionWords(decision.decision), decision.reason, decision.by, decision.until]

/** The worklist of a ledger check, if it has one. */
export const ofCheck = (check: string): Worklist | undefined => worklists.find((w) => w.check === check)

/** The columns a person fills in, after the worklist's own. */
export const decisionHeaders = (worklist: Worklist): ReadonlyArray<string> =>
  worklist.mapTo ? ["decision", "map to", "reason", "by", "until"] : ["decision", "reason", "by", "until"]

/** The header of a worklist: the fingerprint, its own columns, then those a person fills in. */
export const header = (worklist: Worklist): ReadonlyArray<string> => ["fingerprint", ...worklist.columns.map((c) => c.header), ...decisionHeaders(worklist)]

/** A decision of the ledger in the words of the worklists (`fix_at_source` as `fix at source`). */
export const decisionWords = (decision: string): string => decision.replaceAll("_", " ")

/** The cells of one item: the decision in force on it written into the columns a person fills in. */
export const row = (worklist: Worklist, owners: ReadonlyArray<Owner>, item: FindingsLedger.LedgerFinding, decision: ReportData.Decision | undefined): ReadonlyArray<Cell> => {
  const o = ownerOf(owners, item.entity)
  // the decision's cells, with `map to` after the decision where the list has it
  const [words, ...rest] = decisionCells(decision)
  const decided = worklist.mapTo ? [words ?? null, decision?.mapTo ?? null, ...rest] : [words ?? null, ...rest]
  return [item.fingerprint, ...worklist.columns.map((c) => c.value(item, o)), ...decided]
}

/** The rows of a worklist, a page at a time, read from the ledger's pages of its check. */
export async function* rows(data: ReportData.ReportData, worklist: Worklist, owners: ReadonlyArray<Owner>): AsyncGenerator<ReadonlyArray<ReadonlyArray<Cell>>> {
  for await (const page of data.pages.findings({ checks: [worklist.check] })) {
    yield page.findings.map((f) => row(worklist, owners, f, page.decisions.get(f.fingerprint)))
  }
}
