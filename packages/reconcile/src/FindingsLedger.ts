/**
 * The findings ledger: every reconciled run's findings, stored in the control schema with where each stands
 * against the previous run of the same rehearsal series — new, open (seen before), resolved (gone), regressed (back
 * after being resolved) — and triage that carries forward: an accepted finding stops failing gates until its
 * acceptance expires; a finding can be marked for a fix at source, in the mapping or by the supplier.
 */
import { Arrays, ControlSchema, type Database, Driver } from "@handover/sql"
import * as Effect from "effect/Effect"
import * as Finding from "./Finding.ts"

export type Decision = "accepted" | "fix_at_source" | "fix_in_mapping" | "fix_by_supplier"

export interface LedgerFinding extends Finding.Finding {
  readonly fingerprint: string
  readonly status: Finding.Status
}

export interface Recorded {
  readonly runId: string
  readonly previousRunId: string | null
  readonly findings: ReadonlyArray<LedgerFinding>
  readonly byStatus: Readonly<Record<Finding.Status, number>>
}


const fromRow = (r: ReadonlyArray<string | null>): LedgerFinding => ({
  fingerprint: String(r[0]),
  check: String(r[1]),
  entity: String(r[2]),
  legacyKey: r[3] ?? null,
  targetKey: r[4] ?? null,
  field: r[5] ?? null,
  kind: String(r[6]) as Finding.Kind,
  severity: String(r[7]) as Finding.Severity,
  legacyValue: r[8] ?? null,
  targetValue: r[9] ?? null,
  rule: r[10] ?? null,
  explanation: r[11] ?? null,
  message: String(r[12]),
  status: String(r[13]) as Finding.Status
})

const columns = "fingerprint, check_id, entity, legacy_key, target_key, field, kind, severity, legacy_value, target_value, rule_id, explanation, message, status"

/**
 * Records the findings of a run and works out each one's status against the previous reconciled run of the same
 * rehearsal series; findings of the previous run that are gone are recorded as resolved. Recording a run again
 * replaces its findings.
 *
 * The findings, the reconciliation's own row and whatever `alongside` writes (the run's figure lines) are written in
 * one transaction: a reconciliation stopped at any moment has recorded all of it or nothing, so a run is never left
 * half reconciled for the next reconciliation to compare against.
 */
export const record = (
  target: Database.Database,
  controlSchema: string,
  run: { readonly runId: string; readonly rehearsal: string; readonly pipeline: string; readonly today: string },
  findings: ReadonlyArray<Finding.Finding>,
  alongside?: (connection: Driver.Connection) => Promise<void>
) =>
  target.use("record findings", async (d): Promise<Recorded> => {
    const t = ControlSchema.tables(controlSchema)
    const q = (table: Parameters<typeof d.dialect.qualify>[0]) => d.dialect.qualify(table)
    const p = (n: number) => d.dialect.placeholder(n)
    // the earlier reconciled runs of the series, latest first
    const earlier = (await d.queryText(
      `SELECT r.run_id FROM ${q(t.reconciliation)} r WHERE r.rehearsal = ${p(1)} AND r.pipeline = ${p(2)} AND r.run_id <> ${p(3)} ` +
        `ORDER BY r.reconciled_at DESC, r.run_id DESC`,
      [run.rehearsal, run.pipeline, run.runId]
    )).map((r) => String(r[0]))
    const previousRunId = earlier[0] ?? null
    const previous = new Map<string, LedgerFinding>()
    const everSeen = new Set<string>()
    if (previousRunId !== null) {
      for (const r of await d.queryText(`SELECT ${columns} FROM ${q(t.finding)} WHERE run_id = ${p(1)}`, [previousRunId])) {
        const f = fromRow(r)
        if (f.status !== "resolved") previous.set(f.fingerprint, f)
      }
    }
    for (const runId of earlier) {
      for (const r of await d.queryText(`SELECT fingerprint FROM ${q(t.finding)} WHERE run_id = ${p(1)} AND status <> 'resolved'`, [runId])) {
        everSeen.add(String(r[0]))
      }
    }
    const accepted = new Set(
      (await d.queryText(
        `SELECT fingerprint FROM ${q(t.triage)} WHERE decision = 'accepted' AND (expires_on IS NULL OR expires_on >= ${p(1)})`,
        [run.today]
      )).map((r) => String(r[0]))
    )
    const current = new Map<string, LedgerFinding>()
    for (const f of findings) {
      const fingerprint = Finding.fingerprint(f)
      if (current.has(fingerprint)) continue
      const status: Finding.Status = accepted.has(fingerprint)
        ? "accepted"
        : previous.has(fingerprint)
        ? "open"
        : everSeen.has(fingerprint)
        ? "regressed"
        : "new"
      current.set(fingerprint, { ...f, fingerprint, status })
    }
    const resolved = [...previous.values()].filter((f) => !current.has(f.fingerprint)).map((f): LedgerFinding => ({ ...f, status: "resolved" }))
    const all = [...current.values(), ...resolved]
    const byStatus = Finding.countByStatus(all)
    const rows: Array<ReadonlyArray<Driver.SqlValue>> = all.map((f) => [
      run.runId,
      f.fingerprint,
      f.check,
      f.entity,
      f.legacyKey,
      f.targetKey,
      f.field,
      f.kind,
      f.severity,
      f.legacyValue,
      f.targetValue,
      f.rule === null ? null : f.rule.slice(0, 40),
      f.explanation,
      f.message,
      f.status
    ])
    await d.transaction(async (c) => {
      await c.query(`DELETE FROM ${q(t.finding)} WHERE run_id = ${p(1)}`, [run.runId])
      await c.query(`DELETE FROM ${q(t.reconciliation)} WHERE run_id = ${p(1)}`, [run.runId])
      await c.writeRows(t.reconciliation, [[run.runId, run.rehearsal, run.pipeline, new Date().toISOString(), previousRunId, all.length, JSON.stringify(byStatus)]])
      for (let i = 0; i < rows.length; i += 5_000) await c.writeRows(t.finding, rows.slice(i, i + 5_000))
      if (alongside !== undefined) await alongside(c)
    })
    return { runId: run.runId, previousRunId, findings: all, byStatus }
  })

/** Records a decision on a finding; it applies from the next reconciliation on. */
export const decide = (
  target: Database.Database,
  controlSchema: string,
  decision: { readonly fingerprint: string; readonly decision: Decision; readonly reason: string; readonly by: string; readonly until: string | null }
) =>
  target.use("record a triage decision", async (d) => {
    const t = ControlSchema.tables(controlSchema)
    await d.transaction(async (c) => {
      await c.query(`DELETE FROM ${d.dialect.qualify(t.triage)} WHERE fingerprint = ${d.dialect.placeholder(1)}`, [decision.fingerprint])
      await c.writeRows(t.triage, [[decision.fingerprint, decision.decision, decision.reason, decision.by, new Date().toISOString(), decision.until]])
    })
  }).pipe(Effect.asVoid)

/** The findings recorded for a run, resolved ones included. */
export const findingsOf = (target: Database.Database, controlSchema: string, runId: string) =>
  target.use("read findings", async (d): Promise<ReadonlyArray<LedgerFinding>> => {
    const t = ControlSchema.tables(controlSchema)
    return (await d.queryText(`SELECT ${columns} FROM ${d.dialect.qualify(t.finding)} WHERE run_id = ${d.dialect.placeholder(1)} ORDER BY check_id, entity, fingerprint`, [runId]))
      .map(fromRow)
  })

/** Which of a run's findings to read: by check, by status, or by both; all of them by default. */
export interface FindingFilter {
  readonly checks?: ReadonlyArray<string>
  readonly statuses?: ReadonlyArray<Finding.Status>
  readonly entities?: ReadonlyArray<string>
}

const filterSql = (dialect: Driver.Driver["dialect"], filter: FindingFilter, firstParam: number) => {
  const conditions: Array<string> = []
  const params: Array<unknown> = []
  for (const [column, values] of [["check_id", filter.checks], ["status", filter.statuses], ["entity", filter.entities]] as const) {
    if (values === undefined) continue
    if (values.length === 0) {
      conditions.push("1 = 0")
      continue
    }
    const condition = dialect.oneOf(column, values, firstParam + params.length)
    conditions.push(condition.sql)
    Arrays.appendAll(params, condition.params)
  }
  return { sql: conditions.map((c) => ` AND ${c}`).join(""), params }
}

/**
 * A run's findings in pages of at most `pageSize`, in the order reports list them (check, entity, fingerprint):
 * memory holds one page however many findings the run has.
 */
export async function* findingPages(
  driver: Driver.Driver,
  controlSchema: string,
  runId: string,
  options: FindingFilter & { readonly pageSize?: number } = {}
): AsyncGenerator<ReadonlyArray<LedgerFinding>> {
  const t = ControlSchema.tables(controlSchema)
  const filter = filterSql(driver.dialect, options, 2)
  for await (
    const page of Driver.keysetPages(driver, {
      key: ["check_id", "entity", "fingerprint"],
      columns: [columns],
      from: driver.dialect.qualify(t.finding),
      where: `run_id = ${driver.dialect.placeholder(1)}${filter.sql}`,
      params: [runId, ...filter.params],
      pageSize: options.pageSize ?? 5_000
    })
  ) yield page.map((r) => fromRow(r.slice(3)))
}

/** How many findings of a run there are by check, entity, kind, severity and status, counted in the database. */
export interface FindingCount {
  readonly check: string
  readonly entity: string
  readonly kind: Finding.Kind
  readonly severity: Finding.Severity
  readonly status: Finding.Status
  readonly findings: number
}

export const findingCounts = (target: Database.Database, controlSchema: string, runId: string) =>
  target.use("count findings", async (d): Promise<ReadonlyArray<FindingCount>> => {
    const t = ControlSchema.tables(controlSchema)
    const rows = await d.queryText(
      `SELECT check_id, entity, kind, severity, status, COUNT(*) FROM ${d.dialect.qualify(t.finding)} WHERE run_id = ${d.dialect.placeholder(1)} ` +
        `GROUP BY check_id, entity, kind, severity, status ORDER BY check_id, entity, kind, severity, status`,
      [runId]
    )
    return rows.map((r) => ({
      check: String(r[0]),
      entity: String(r[1]),
      kind: String(r[2]) as Finding.Kind,
      severity: String(r[3]) as Finding.Severity,
      status: String(r[4]) as Finding.Status,
      findings: Number(r[5])
    }))
  })

export interface Reconciliation {
  readonly runId: string
  readonly reconciledAt: string
  readonly previousRunId: string | null
  readonly findings: number
  readonly byStatus: Readonly<Record<Finding.Status, number>>
}

/** Every reconciliation of a rehearsal series, oldest first. */
export const reconciliations = (target: Database.Database, controlSchema: string, series: { readonly rehearsal: string; readonly pipeline: string }) =>
  target.use("read reconciliations", async (d): Promise<ReadonlyArray<Reconciliation>> => {
    const t = ControlSchema.tables(controlSchema)
    const rows = await d.queryText(
      `SELECT run_id, reconciled_at, previous_run_id, findings, summary FROM ${d.dialect.qualify(t.reconciliation)} ` +
        `WHERE rehearsal = ${d.dialect.placeholder(1)} AND pipeline = ${d.dialect.placeholder(2)} ORDER BY reconciled_at, run_id`,
      [series.rehearsal, series.pipeline]
    )
    return rows.map((r) => ({
      runId: String(r[0]),
      reconciledAt: String(r[1]),
      previousRunId: r[2] ?? null,
      findings: Number(r[3]),
      byStatus: { new: 0, open: 0, resolved: 0, regressed: 0, accepted: 0, ...(JSON.parse(String(r[4])) as Partial<Record<Finding.Status, number>>) }
    }))
  })

/** The triage decisions in force, by fingerprint. */
export const decisions = (target: Database.Database, controlSchema: string) =>
  target.use("read triage", async (d) => {
    const t = ControlSchema.tables(controlSchema)
    const rows = await d.queryText(`SELECT fingerprint, decision, reason, decided_by, expires_on FROM ${d.dialect.qualify(t.triage)}`)
    return new Map(rows.map((r) => [String(r[0]), { decision: String(r[1]) as Decision, reason: String(r[2]), by: String(r[3]), until: r[4] ?? null }] as const))
  })
