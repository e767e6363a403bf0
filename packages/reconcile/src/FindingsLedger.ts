/**
 * The findings ledger: every reconciled run's findings, stored in the control schema with where each stands
 * against the previous run of the same rehearsal series — new, open (seen before), resolved (gone), regressed (back
 * after being resolved) — and triage that carries forward: an accepted finding stops failing gates until its
 * acceptance expires; a finding can be marked for a fix at source, in the mapping or by the supplier.
 */
import { Arrays, ControlSchema, type Database, Driver, type SqlDialect } from "@handover/sql"
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
  /** How many findings the run has in the ledger, resolved ones included. */
  readonly findings: number
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

/** The columns a finding has in both `finding_staged` and `finding`, in `finding`'s order after the run id. */
const findingColumns = "fingerprint, check_id, entity, legacy_key, target_key, field, kind, severity, legacy_value, target_value, rule_id, explanation, message"

const figureColumns =
  "run_id, figure_id, dimension, dimension_value, measure, unit, source_value, excluded_value, explained_value, expected_value, target_value, variance, rows_behind"

/** The staging tables of a reconciliation: what its checks and figures write while it runs. */
const stagingTables = (t: ControlSchema.ControlTables) => [t.findingStaged, t.expectedKey, t.figurePart, t.figureStaged] as const

/**
 * The statements that empty the staging tables, whole: one command holds the target at a time, so what they hold is
 * the work of the reconciliation under way, or what one killed before it recorded left there, of whichever run.
 * Emptied whole (`TRUNCATE` where the dialect can), their space goes back at once instead of waiting for a vacuum:
 * they take tens of millions of rows on a large estate.
 */
export const clearStagingStatements = (dialect: SqlDialect.SqlDialect, controlSchema: string): ReadonlyArray<SqlDialect.Statement> =>
  dialect.clearTables(stagingTables(ControlSchema.tables(controlSchema))).map((sql) => ({ sql, params: [] }))

/**
 * Empties the staging tables, at the start of a reconciliation, and drops the scratch tables of sorted reads a killed
 * reconciliation left (the command holds the target: no other reads are under way).
 */
export const clearStaging = (target: Database.Database, controlSchema: string) =>
  target.use("clear what an earlier reconciliation left", async (d) => {
    await d.transaction(async (c) => {
      for (const statement of clearStagingStatements(d.dialect, controlSchema)) await c.query(statement.sql, statement.params)
    })
    await Driver.dropSortedLeftovers(d, controlSchema)
  })

/** Findings written to `finding_staged` a batch at a time. */
export interface Staging {
  /** Takes findings in the order found; writes them once a batch has gathered. */
  readonly emit: Finding.Emit
  /** Writes what is still gathered. */
  readonly flush: () => Promise<void>
  /** How many findings have been taken so far. */
  readonly count: () => number
}

/** Findings gathered before they are written to the staging table: about this many a write. */
export const stagingBatch = 5_000

/** A finding as a row of `finding_staged`. */
export const stagedRow = (runId: string, seq: number, f: Finding.Finding): ReadonlyArray<Driver.SqlValue> => [
  runId,
  seq,
  Finding.fingerprint(f),
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
  f.message
]

/**
 * Where a reconciliation's checks put their findings: gathered into batches of about `batchSize` and written to
 * `finding_staged` with the order they were found in (`seq`, counting from `firstSeq`) and their fingerprints. Memory
 * holds one batch however many findings there are. The staging tables are expected to be empty at the start
 * (`clearStaging`).
 */
export const staging = (driver: Driver.Driver, controlSchema: string, runId: string, options: { readonly batchSize?: number; readonly firstSeq?: number } = {}): Staging => {
  const table = ControlSchema.tables(controlSchema).findingStaged
  const batchSize = Math.max(1, options.batchSize ?? stagingBatch)
  let seq = options.firstSeq ?? 0
  let taken = 0
  let gathered: Array<ReadonlyArray<Driver.SqlValue>> = []
  const write = async () => {
    if (gathered.length === 0) return
    const rows = gathered
    gathered = []
    await driver.transaction((c) => c.writeRows(table, rows))
  }
  return {
    emit: async (findings) => {
      for (const f of findings) {
        gathered.push(stagedRow(runId, seq++, f))
        taken++
        if (gathered.length >= batchSize) await write()
      }
    },
    flush: write,
    count: () => taken
  }
}

/** The run, its series and the day acceptances are checked against. */
export interface RecordRun {
  readonly runId: string
  readonly rehearsal: string
  readonly pipeline: string
  readonly today: string
}

/** The latest other reconciled run of the series: the run the statuses are worked out against. */
export const previousRunStatement = (dialect: SqlDialect.SqlDialect, controlSchema: string, run: RecordRun): SqlDialect.Statement => {
  const t = ControlSchema.tables(controlSchema)
  const p = dialect.placeholder
  return {
    sql: `SELECT ${dialect.top(1)}r.run_id FROM ${dialect.qualify(t.reconciliation)} r WHERE r.rehearsal = ${p(1)} AND r.pipeline = ${p(2)} AND r.run_id <> ${p(3)} ` +
      `ORDER BY r.reconciled_at DESC, r.run_id DESC${dialect.limit(1)}`,
    params: [run.rehearsal, run.pipeline, run.runId]
  }
}

/**
 * The statements that record a run's staged findings and figure lines, in order, for one transaction:
 *
 * - the run's findings and reconciliation row go (recording a run again replaces them);
 * - the first staged finding of each fingerprint (lowest `seq`) goes into `finding` with its status: accepted where
 *   a triage decision 'accepted' is in force on `today`; else open where the previous reconciled run of the series
 *   has it with any status but resolved; else regressed where any other reconciled run of the series has it so;
 *   else new;
 * - the previous run's findings, other than resolved ones, that are not staged go in again as resolved;
 * - the run's figure lines are replaced by its staged ones;
 * - the staging tables are emptied.
 *
 * Written for every dialect: no DISTINCT ON, no FILTER; ROW_NUMBER() OVER, CASE and NOT EXISTS. The reconciliation
 * row is written after these, with the counts the finding table then holds.
 */
export const recordStatements = (
  dialect: SqlDialect.SqlDialect,
  controlSchema: string,
  run: RecordRun,
  previousRunId: string | null
): ReadonlyArray<SqlDialect.Statement> => {
  const t = ControlSchema.tables(controlSchema)
  const q = (table: SqlDialect.TableRef) => dialect.qualify(table)
  const p = dialect.placeholder
  const staged = `SELECT s.run_id, ${findingColumns.split(", ").map((c) => `s.${c}`).join(", ")}, ` +
    `ROW_NUMBER() OVER (PARTITION BY s.fingerprint ORDER BY s.seq) AS first_seen FROM ${q(t.findingStaged)} s WHERE s.run_id = ${p(1)}`
  const status = `CASE` +
    ` WHEN EXISTS (SELECT 1 FROM ${q(t.triage)} d WHERE d.fingerprint = f.fingerprint AND d.decision = 'accepted' AND (d.expires_on IS NULL OR d.expires_on >= ${p(2)}))` +
    ` THEN 'accepted'` +
    ` WHEN EXISTS (SELECT 1 FROM ${q(t.finding)} o WHERE o.run_id = ${p(3)} AND o.fingerprint = f.fingerprint AND o.status <> 'resolved')` +
    ` THEN 'open'` +
    ` WHEN EXISTS (SELECT 1 FROM ${q(t.finding)} e INNER JOIN ${q(t.reconciliation)} r ON r.run_id = e.run_id` +
    ` WHERE r.rehearsal = ${p(4)} AND r.pipeline = ${p(5)} AND r.run_id <> ${p(1)} AND e.fingerprint = f.fingerprint AND e.status <> 'resolved')` +
    ` THEN 'regressed'` +
    ` ELSE 'new' END`
  const statements: Array<SqlDialect.Statement> = [
    { sql: `DELETE FROM ${q(t.finding)} WHERE run_id = ${p(1)}`, params: [run.runId] },
    { sql: `DELETE FROM ${q(t.reconciliation)} WHERE run_id = ${p(1)}`, params: [run.runId] },
    {
      sql: `INSERT INTO ${q(t.finding)} (run_id, ${columns}) ` +
        `SELECT f.run_id, ${findingColumns.split(", ").map((c) => `f.${c}`).join(", ")}, ${status} ` +
        `FROM (${staged}) f WHERE f.first_seen = 1`,
      params: [run.runId, run.today, previousRunId, run.rehearsal, run.pipeline]
    }
  ]
  if (previousRunId !== null) {
    statements.push({
      sql: `INSERT INTO ${q(t.finding)} (run_id, ${columns}) ` +
        `SELECT ${p(1)}, ${findingColumns.split(", ").map((c) => `o.${c}`).join(", ")}, 'resolved' FROM ${q(t.finding)} o ` +
        `WHERE o.run_id = ${p(2)} AND o.status <> 'resolved' ` +
        `AND NOT EXISTS (SELECT 1 FROM ${q(t.findingStaged)} s WHERE s.run_id = ${p(3)} AND s.fingerprint = o.fingerprint)`,
      params: [run.runId, previousRunId, run.runId]
    })
  }
  statements.push(
    { sql: `DELETE FROM ${q(t.figure)} WHERE run_id = ${p(1)}`, params: [run.runId] },
    {
      sql: `INSERT INTO ${q(t.figure)} (${figureColumns}) SELECT ${figureColumns} FROM ${q(t.figureStaged)} WHERE run_id = ${p(1)}`,
      params: [run.runId]
    }
  )
  for (const statement of clearStagingStatements(dialect, controlSchema)) statements.push(statement)
  return statements
}

/** How many of a run's findings have each status, counted in the database. */
export const statusCountStatement = (dialect: SqlDialect.SqlDialect, controlSchema: string, runId: string): SqlDialect.Statement => ({
  sql: `SELECT status, COUNT(*) AS n FROM ${dialect.qualify(ControlSchema.tables(controlSchema).finding)} WHERE run_id = ${dialect.placeholder(1)} GROUP BY status`,
  params: [runId]
})

const byStatusOf = (rows: ReadonlyArray<Record<string, unknown>>): Record<Finding.Status, number> => {
  const counts = Finding.countByStatus([])
  for (const r of rows) counts[String(r.status) as Finding.Status] = Number(r.n)
  return counts
}

/**
 * Records the findings a reconciliation of a run has staged (`staging`) and works out each one's status against the
 * previous reconciled run of the same rehearsal series, in the database; findings of the previous run that are gone
 * are recorded as resolved. Recording a run again replaces its findings.
 *
 * The findings, the run's figure lines (moved from `figure_staged`) and the reconciliation's own row are written in
 * one transaction, which empties the staging tables: a reconciliation stopped at any moment has recorded all of
 * it or nothing, so a run is never left half reconciled for the next reconciliation to compare against.
 */
export const record = (target: Database.Database, controlSchema: string, run: RecordRun) =>
  target.use("record findings", async (d) => {
    const t = ControlSchema.tables(controlSchema)
    // the staged findings were written since the planner last counted them: counted again, so it plans on their number
    for (const statement of d.dialect.analyze(t.findingStaged)) await d.query(statement)
    return d.transaction(async (c): Promise<Recorded> => {
      const previous = previousRunStatement(d.dialect, controlSchema, run)
      const [latest] = await c.query(previous.sql, previous.params)
      const previousRunId = latest === undefined ? null : String(latest.run_id)
      for (const statement of recordStatements(d.dialect, controlSchema, run, previousRunId)) await c.query(statement.sql, statement.params)
      const counting = statusCountStatement(d.dialect, controlSchema, run.runId)
      const byStatus = byStatusOf(await c.query(counting.sql, counting.params))
      const findings = Object.values(byStatus).reduce((a, b) => a + b, 0)
      await c.writeRows(t.reconciliation, [[run.runId, run.rehearsal, run.pipeline, new Date().toISOString(), previousRunId, findings, JSON.stringify(byStatus)]])
      return { runId: run.runId, previousRunId, findings, byStatus }
    })
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

/** How many of a run's findings (resolved ones left out) each check gave, counted in the database, by check. */
export const checkCounts = (target: Database.Database, controlSchema: string, runId: string) =>
  target.use("count findings by check", async (d): Promise<ReadonlyArray<{ readonly check: string; readonly findings: number }>> => {
    const rows = await d.queryText(
      `SELECT check_id, COUNT(*) FROM ${d.dialect.qualify(ControlSchema.tables(controlSchema).finding)} ` +
        `WHERE run_id = ${d.dialect.placeholder(1)} AND status <> 'resolved' GROUP BY check_id ORDER BY check_id`,
      [runId]
    )
    return rows.map((r) => ({ check: String(r[0]), findings: Number(r[1]) }))
  })

/** What changed between two runs' standing findings (resolved ones left out), counted in the database. */
export interface Comparison {
  /** Findings of the first run the second run no longer has. */
  readonly gone: number
  /** Findings of the second run the first run did not have. */
  readonly appeared: number
  /** Findings of the second run the first run had too. */
  readonly still: number
  /** The first few gone, in the order reports list findings. */
  readonly someGone: ReadonlyArray<LedgerFinding>
  /** The first few that appeared, in the order reports list findings. */
  readonly someAppeared: ReadonlyArray<LedgerFinding>
}

/** The statements that compare two runs' findings: counts, then the first `shown` of each side, on any dialect. */
export const comparisonStatements = (dialect: SqlDialect.SqlDialect, controlSchema: string, before: string, after: string, shown: number) => {
  const table = dialect.qualify(ControlSchema.tables(controlSchema).finding)
  const p = dialect.placeholder
  /** Standing findings of run `p(1)` that run `p(2)` does not have (NOT EXISTS), or has too (EXISTS). */
  const where = (presence: "NOT EXISTS" | "EXISTS") =>
    `a.run_id = ${p(1)} AND a.status <> 'resolved' AND ${presence} ` +
    `(SELECT 1 FROM ${table} b WHERE b.run_id = ${p(2)} AND b.fingerprint = a.fingerprint AND b.status <> 'resolved')`
  const count = (presence: "NOT EXISTS" | "EXISTS") => `SELECT COUNT(*) FROM ${table} a WHERE ${where(presence)}`
  const some = `SELECT ${dialect.top(shown)}${columns.split(", ").map((c) => `a.${c}`).join(", ")} FROM ${table} a WHERE ${where("NOT EXISTS")} ` +
    `ORDER BY a.check_id, a.entity, a.fingerprint${dialect.limit(shown)}`
  return {
    counts: { sql: `SELECT (${count("NOT EXISTS")}), (${count("EXISTS")})`, params: [before, after] },
    reversedCount: { sql: `SELECT (${count("NOT EXISTS")})`, params: [after, before] },
    someGone: { sql: some, params: [before, after] },
    someAppeared: { sql: some, params: [after, before] }
  }
}

/** Compares two runs' standing findings in the database: memory holds the counts and the few findings shown. */
export const compareRuns = (target: Database.Database, controlSchema: string, before: string, after: string, shown = 20) =>
  target.use("compare findings", async (d): Promise<Comparison> => {
    const s = comparisonStatements(d.dialect, controlSchema, before, after, shown)
    // a fingerprint is one finding of a run: the first run's findings the second has are the second's still there
    const [gone, still] = (await d.queryText(s.counts.sql, s.counts.params))[0] ?? []
    const [appeared] = (await d.queryText(s.reversedCount.sql, s.reversedCount.params))[0] ?? []
    return {
      gone: Number(gone ?? 0),
      appeared: Number(appeared ?? 0),
      still: Number(still ?? 0),
      someGone: (await d.queryText(s.someGone.sql, s.someGone.params)).map(fromRow),
      someAppeared: (await d.queryText(s.someAppeared.sql, s.someAppeared.params)).map(fromRow)
    }
  })
