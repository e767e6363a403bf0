/**
 * A report's data made in memory, for the report tests: findings carrying names, NHS numbers and dates of birth, and
 * NHS numbers in free texts (a quarantine reason, a decision's reason, a row behind a figure); masked by
 * `ReportData.mask`, as `ReportData.load` masks what it reads.
 */
import type { FindingsLedger } from "@handover/reconcile"
import { Finding } from "@handover/reconcile"
import type { Masking } from "../src/index.ts"
import * as ReportData from "../src/ReportData.ts"

export interface Person {
  readonly first: string
  readonly last: string
  readonly nhs: string
  readonly dob: string
}

/** An NHS number as people write it: 3, 3 and 4 digits. */
const spaced = (nhs: string) => `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`

const ledgerFinding = (f: Finding.Finding, status: Finding.Status): FindingsLedger.LedgerFinding => ({ ...f, fingerprint: Finding.fingerprint(f), status })

/** The raw findings about some people: what a record check says when names, NHS numbers and birth dates differ. */
export const findingsAbout = (people: ReadonlyArray<Person>): ReadonlyArray<FindingsLedger.LedgerFinding> =>
  people.flatMap((p, i) => [
    ledgerFinding(Finding.make({
      check: "record",
      entity: "client",
      legacyKey: String(1000 + i),
      targetKey: `t-${i}`,
      field: "first_name",
      kind: "different",
      severity: "error",
      legacyValue: p.first,
      targetValue: `${p.first} ${p.last}`,
      message: `las_person.first_name of t-${i} differs from what the mapping gives for legacy row ${1000 + i}`
    }), i % 2 === 0 ? "new" : "open"),
    ledgerFinding(Finding.make({
      check: "record",
      entity: "client",
      legacyKey: String(1000 + i),
      targetKey: `t-${i}`,
      field: "nhs_number",
      kind: "different",
      severity: "error",
      legacyValue: p.nhs,
      targetValue: spaced(p.nhs),
      message: `the NHS number ${p.nhs} was typed with spaces`
    }), "new"),
    ledgerFinding(Finding.make({
      check: "rule.example",
      entity: "client",
      legacyKey: String(1000 + i),
      field: "date_of_birth",
      kind: "rule",
      severity: "warning",
      legacyValue: p.dob,
      targetValue: p.dob,
      message: "a date of birth to look at"
    }), "accepted"),
    // the items of the worklists: a row held back for its NHS number, a flag quoting a date of birth, a possible
    // duplicate, a code value to map
    ledgerFinding(Finding.make({
      check: "migration.quarantine",
      entity: "client",
      legacyKey: String(2000 + i),
      field: "nhs_no_text",
      kind: "quarantined",
      severity: "error",
      legacyValue: spaced(p.nhs),
      rule: "PER-01",
      message: `held back (by the mapping): the NHS number ${p.nhs} belongs to another client`
    }), "new"),
    ledgerFinding(Finding.make({
      check: "migration.flag",
      entity: "client",
      legacyKey: String(1000 + i),
      field: "dob_text",
      kind: "flagged",
      severity: "warning",
      rule: "PER-04",
      message: `dob_text: read as ${p.dob} (two digit year)`
    }), "open"),
    ledgerFinding(Finding.make({
      check: "migration.flag",
      entity: "client",
      legacyKey: String(1000 + i),
      field: "surname",
      kind: "flagged",
      severity: "warning",
      rule: "PER-05",
      message: `surname "${p.first} ${p.last}" holds a forename too`
    }), "open"),
    ledgerFinding(Finding.make({
      check: "migration.possible-duplicate",
      entity: "client",
      legacyKey: String(1000 + i),
      kind: "possible-duplicate",
      severity: "warning",
      legacyValue: String(3000 + i),
      rule: "PER-15",
      message: `may be the same as client ${3000 + i}: same surname sound, postcode and date of birth`
    }), "new"),
    ledgerFinding(Finding.make({
      check: "migration.code-mapping",
      entity: "client",
      legacyKey: `E${i}`,
      field: "ethnicity",
      kind: "unmapped-code",
      severity: "warning",
      legacyValue: `E${i}`,
      targetValue: String(i + 1),
      message: `ethnicity value "E${i}" is on no code map: ${i + 1} rows of client carry it`
    }), "new")
  ])

/** Report data about those people, masked as the masker says by `ReportData.mask`, the masking `ReportData.load` does. */
export const reportData = (people: ReadonlyArray<Person>, masker: Masking.Masker): ReportData.ReportData =>
  ReportData.mask(unmasked(people), masker)

/** Report data about those people as the control schema would hold it, before masking. */
export const unmasked = (people: ReadonlyArray<Person>): ReportData.Unmasked => ({
  generatedAt: "2026-04-02T09:00:00.000Z",
  run: { runId: "run-2", rehearsal: "trial", pipeline: "swift-to-ias", codeVersion: "test", startedAt: "2026-04-02T08:00:00.000Z", endedAt: "2026-04-02T08:30:00.000Z", status: "completed" },
  previousRunId: "run-1",
  entities: [
    { entity: "client", read: 100, loaded: 90, merged: 5, quarantined: 3, excluded: 2, conserved: true },
    { entity: "package line", read: 200, loaded: 190, merged: 0, quarantined: 10, excluded: 0, conserved: true }
  ],
  findings: findingsAbout(people),
  figures: [
    { figure: "figure.weekly-commitment", dimension: "all", value: "all", measure: "gross weekly cost", unit: "pence", source: 1_000_000, excluded: 20_000, explained: -5_000, expected: 975_000, target: 975_000, variance: 0, rows: [] },
    { figure: "figure.weekly-commitment", dimension: "provider", value: "12", measure: "gross weekly cost", unit: "pence", source: 50_000, excluded: 0, explained: 0, expected: 50_000, target: 49_999, variance: -1, rows: ["1 → t-1", ...people.slice(0, 1).map((p) => `${p.nhs} not in the target`)] }
  ],
  trend: [
    { runId: "run-1", reconciledAt: "2026-03-20T09:00:00.000Z", previousRunId: null, findings: 100, byStatus: { new: 100, open: 0, resolved: 0, regressed: 0, accepted: 0 } },
    { runId: "run-2", reconciledAt: "2026-04-02T09:00:00.000Z", previousRunId: "run-1", findings: 10, byStatus: { new: 4, open: 5, resolved: 3, regressed: 0, accepted: 1 } }
  ],
  reasons: [
    // free texts carry NHS numbers where nobody expected one: a quarantine reason, a reason typed for a decision
    ...people.slice(0, 1).map((p) => ({ entity: "client", outcome: "quarantined" as const, rule: "PER-02", reason: `nhs_no_text: ${p.nhs} is on another client's record too`, rows: 4 })),
    { entity: "client", outcome: "quarantined", rule: "PER-01", reason: "dob_text: not a date in any format the legacy systems use", rows: 3 }
  ],
  decisions: Object.fromEntries(
    findingsAbout(people).filter((f) => f.field === "nhs_number").map((f, i) => [
      f.fingerprint,
      { decision: "accepted", reason: `the GP confirmed ${spaced(people[i]!.nhs)} by telephone`, by: "reviewer", until: null, mapTo: null }
    ])
  )
})
