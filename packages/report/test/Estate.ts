/**
 * Report data of a reconciled run made up by fast-check, for the properties of the paged writers: findings of a few
 * checks and entities with every status, kind and severity, money findings on figure lines, figure lines of every
 * dimension, triage decisions on some findings, and reasons rows were quarantined, excluded or flagged. Also written
 * into a control schema, so that `ReportData.load` reads the same run from a database.
 */
import type { FindingsLedger } from "@handover/reconcile"
import { type Figure, Finding } from "@handover/reconcile"
import { ControlSchema, type Driver, type Table } from "@handover/sql"
import * as fc from "fast-check"
import * as ReportData from "../src/ReportData.ts"

/** Texts as records hold them: printable characters, quotes, commas, markup, line breaks, NHS numbers typed anyhow. */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "grapheme-ascii", maxLength: 24 }) },
  { weight: 1, arbitrary: fc.constantFrom("9434765919", "943 476 5919", "Ada Lovelace", "a \"quoted\", value", "two\nlines", "<b>&amp;</b>", "1946-02-11") }
)

const statuses = ["new", "open", "resolved", "regressed", "accepted"] as const
const kinds = ["missing", "extra", "different", "count", "structure", "rule", "money"] as const

const finding = fc.record({
  check: fc.constantFrom("record", "rule.example", "count", "structure", "verify.money"),
  entity: fc.constantFrom("address", "care package", "client"),
  legacyKey: fc.option(fc.stringMatching(/^[0-9]{1,6}$/), { nil: null }),
  targetKey: fc.option(fc.stringMatching(/^t-[0-9]{1,6}$/), { nil: null }),
  field: fc.option(fc.constantFrom("first_name", "nhs_number", "date_of_birth", "postcode", "unit_rate", "address_line_1"), { nil: null }),
  kind: fc.constantFrom(...kinds),
  severity: fc.constantFrom("error", "warning", "info"),
  legacyValue: fc.option(text, { nil: null }),
  targetValue: fc.option(text, { nil: null }),
  rule: fc.option(fc.constantFrom("PER-01", "PKG-02"), { nil: null }),
  explanation: fc.option(text, { nil: null }),
  message: text,
  status: fc.constantFrom(...statuses)
})

const line = fc.record({
  figure: fc.constantFrom("figure.people", "figure.weekly-commitment"),
  dimension: fc.constantFrom("all", "provider", "service type"),
  value: fc.constantFrom("all", "12", "13", "home care"),
  measure: fc.constantFrom("count", "gross weekly cost"),
  unit: fc.constantFrom("pence", "count"),
  source: fc.integer({ min: 0, max: 10_000_000 }),
  excluded: fc.integer({ min: 0, max: 100_000 }),
  explained: fc.integer({ min: -100_000, max: 100_000 }),
  target: fc.integer({ min: 0, max: 10_000_000 }),
  rows: fc.array(text.map((t) => t.replaceAll("\n", " ")).filter((t) => t !== ""), { maxLength: 3 })
}).map((l): Figure.Line => {
  const expected = l.source - l.excluded + l.explained
  return {
    figure: l.figure, dimension: l.dimension, value: l.value, measure: l.measure, unit: l.unit as Figure.Unit,
    source: l.source, excluded: l.excluded, explained: l.explained, expected, target: l.target, variance: l.target - expected, rows: l.rows
  }
})

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

export const unmasked: fc.Arbitrary<ReportData.Unmasked> = fc.record({
  findings: fc.array(finding, { maxLength: 40 }),
  lines: fc.uniqueArray(line, { maxLength: 14, selector: (l) => `${l.figure}|${l.dimension}|${l.value}|${l.measure}` }),
  money: fc.array(fc.record({ line: fc.nat(), status: fc.constantFrom(...statuses) }), { maxLength: 6 }),
  decided: fc.array(fc.record({ at: fc.nat(), decision: fc.constantFrom("accepted", "fix_by_supplier", "fix_at_source"), reason: text, until: fc.option(fc.constantFrom("2026-05-01", "2027-01-31"), { nil: null }) }), { maxLength: 8 }),
  reasons: fc.array(
    fc.record({
      entity: fc.constantFrom("client", "address"),
      outcome: fc.oneof({ weight: 4, arbitrary: fc.constant("quarantined" as const) }, fc.constant("excluded" as const), fc.constant("flagged" as const)),
      rule: fc.constantFrom("PER-01", "PER-02"),
      reason: text
    }),
    { maxLength: 70 }
  ),
  previous: fc.boolean(),
  trendFindings: fc.array(fc.nat({ max: 50 }), { minLength: 5, maxLength: 5 }),
  entities: fc.array(fc.record({ read: fc.nat({ max: 1000 }), broken: fc.boolean() }), { minLength: 1, maxLength: 3 })
}).map((g) => {
  const money = g.lines.length === 0 ? [] : g.money.map((m, i) => {
    const l = g.lines[m.line % g.lines.length]!
    return { check: l.figure, entity: "client", legacyKey: null, targetKey: null, field: ReportData.moneyField(l), kind: "money" as const, severity: "error" as const,
      legacyValue: String(l.expected), targetValue: String(l.target), rule: null, explanation: null, message: `figure line ${i}`, status: m.status }
  })
  // fingerprints are hexadecimal and unique, as the ledger's are; the findings in the order the ledger reads them
  const findings: Array<FindingsLedger.LedgerFinding> = [...g.findings, ...money]
    .map((f, i) => ({ fingerprint: (i * 7919 % 65_521).toString(16).padStart(32, "0"), ...f } as FindingsLedger.LedgerFinding))
    .sort((a, b) => compareText(a.check, b.check) || compareText(a.entity, b.entity) || compareText(a.fingerprint, b.fingerprint))
  const decisions: Record<string, ReportData.Decision> = {}
  if (findings.length > 0) {
    for (const d of g.decided) decisions[findings[d.at % findings.length]!.fingerprint] = { decision: d.decision, reason: d.reason, by: "a.reviewer", until: d.until, mapTo: null }
  }
  // a distinct number of rows for each group of reasons, so the largest is never a tie
  const groups = new Map<string, ReportData.Reason>()
  g.reasons.forEach((r, i) => groups.set(JSON.stringify([r.entity, r.outcome, r.rule, r.reason]), { ...r, rows: 1 + i }))
  const [e1, e2 = e1!, e3 = e1!] = g.entities
  const entities = [["client", e1!], ["address", e2], ["care package", e3]] as const
  const counts = (n: number) => Object.fromEntries(statuses.map((s, i) => [s, i === 0 ? n : Math.floor(n / (i + 1))])) as Record<Finding.Status, number>
  return {
    generatedAt: "2026-04-02T09:00:00.000Z",
    run: { runId: "run-2", rehearsal: "trial", pipeline: "swift-to-ias", codeVersion: "test", startedAt: "2026-04-02T08:00:00.000Z", endedAt: "2026-04-02T08:30:00.000Z", status: "completed" },
    previousRunId: g.previous ? "run-1" : null,
    entities: entities.slice(0, g.entities.length).map(([entity, e]) => {
      const loaded = Math.floor(e.read / 2)
      const quarantined = Math.floor(e.read / 5)
      return { entity, read: e.read, loaded, merged: 0, quarantined, excluded: e.read - loaded - quarantined + (e.broken ? 1 : 0), conserved: !e.broken }
    }),
    findings,
    // the figure lines in the order the control schema gives them
    figures: [...g.lines].sort((a, b) => compareText(a.figure, b.figure) || compareText(a.dimension, b.dimension) || compareText(a.value, b.value) || compareText(a.measure, b.measure)),
    trend: [
      ...(g.previous ? [{ runId: "run-1", reconciledAt: "2026-03-20T09:00:00.000Z", previousRunId: null, findings: g.trendFindings[0]!, byStatus: counts(g.trendFindings[0]!) }] : []),
      { runId: "run-2", reconciledAt: "2026-04-02T09:00:00.000Z", previousRunId: g.previous ? "run-1" : null, findings: findings.length, byStatus: Finding.countByStatus(findings) }
    ],
    reasons: [...groups.values()].sort((a, b) => b.rows - a.rows),
    decisions
  }
})

const row = (table: Table.Table, values: Record<string, unknown>) => table.columns.map((c) => (values[c.name] ?? null) as never)

/**
 * Writes a run's report data into a control schema already migrated: the run, its entity steps, findings, figure
 * lines, triage decisions (and one on a finding of no run), reconciliations, and one quarantine, exclusion or flag
 * row for each row counted by a reason. Values a database cannot hold (a NUL character) are not generated.
 */
export const write = async (driver: Driver.Driver, controlSchema: string, data: ReportData.Unmasked, runId: string): Promise<void> => {
  const t = ControlSchema.tables(controlSchema)
  const started = data.run.startedAt
  await driver.writeRows(t.run, [row(t.run, { run_id: runId, rehearsal: `${data.run.rehearsal}-${runId}`, pipeline: data.run.pipeline, config_hash: "x", code_version: data.run.codeVersion, started_at: started, ended_at: data.run.endedAt, status: data.run.status })])
  await driver.writeRows(t.entityStep, data.entities.map((e, i) => row(t.entityStep, {
    run_id: runId, entity: e.entity, position: i, status: "done", batches: 1, rows_read: e.read, rows_loaded: e.loaded, rows_merged: e.merged,
    rows_quarantined: e.quarantined, rows_excluded: e.excluded, started_at: started, ended_at: started
  })))
  await driver.writeRows(t.finding, data.findings.map((f) => row(t.finding, {
    run_id: runId, fingerprint: f.fingerprint, check_id: f.check, entity: f.entity, legacy_key: f.legacyKey, target_key: f.targetKey, field: f.field, kind: f.kind,
    severity: f.severity, legacy_value: f.legacyValue, target_value: f.targetValue, rule_id: f.rule, explanation: f.explanation, message: f.message, status: f.status
  })))
  await driver.writeRows(t.figure, data.figures.map((l) => row(t.figure, {
    run_id: runId, figure_id: l.figure, dimension: l.dimension, dimension_value: l.value, measure: l.measure, unit: l.unit, source_value: l.source,
    excluded_value: l.excluded, explained_value: l.explained, expected_value: l.expected, target_value: l.target, variance: l.variance,
    rows_behind: l.rows.length === 0 ? null : l.rows.join("\n")
  })))
  // decisions are carried by fingerprint from run to run: those of the run's findings, and one of no finding of it
  const other = `${runId.replace(/[^0-9a-f]/g, "").padStart(4, "0")}`.padStart(32, "f")
  await driver.query(`DELETE FROM ${driver.dialect.qualify(t.triage)}`)
  await driver.writeRows(t.triage, [...Object.entries(data.decisions), [other, { decision: "accepted", reason: "of another run", by: "x", until: null }] as const].map(([fingerprint, d]) =>
    row(t.triage, { fingerprint, decision: d.decision, reason: d.reason, decided_by: d.by, decided_at: started, expires_on: d.until })))
  await driver.writeRows(t.reconciliation, data.trend.map((r) => row(t.reconciliation, {
    run_id: r.runId === data.run.runId ? runId : `${runId}-before`, rehearsal: `${data.run.rehearsal}-${runId}`, pipeline: data.run.pipeline,
    reconciled_at: r.reconciledAt, previous_run_id: r.previousRunId === null ? null : `${runId}-before`, findings: r.findings, summary: JSON.stringify(r.byStatus)
  })))
  let key = 0
  for (const r of data.reasons) {
    const keys = Array.from({ length: r.rows }, () => String(key++))
    if (r.outcome === "quarantined") {
      await driver.writeRows(t.quarantine, keys.map((k) => row(t.quarantine, { run_id: runId, entity: r.entity, legacy_key: k, stage: "decode", field_path: "x", reason: r.reason, rule_id: r.rule, raw_row: "{}" })))
    } else if (r.outcome === "excluded") {
      await driver.writeRows(t.exclusion, keys.map((k) => row(t.exclusion, { run_id: runId, entity: r.entity, legacy_key: k, rule_id: r.rule, reason: r.reason })))
    } else {
      await driver.writeRows(t.flag, keys.map((k) => row(t.flag, { run_id: runId, entity: r.entity, legacy_key: k, seq: 0, rule_id: r.rule, field_path: r.reason, severity: "warning", message: "m" })))
    }
  }
}
