/**
 * The findings ledger worked out in the database gives exactly what the ledger worked out in memory gave: on any
 * sequence of reconciliations of a rehearsal series (findings with repeated fingerprints, a run recorded again, triage
 * decisions that expire, a reconciliation killed before it recorded, a second series beside the first), every
 * finding stored, its status, the counts by status, the previous run and the figure lines are those of the in-memory
 * algorithm the ledger used to run, kept here as the oracle.
 */
import { assert, layer } from "@effect/vitest"
import { Finding, FindingsLedger } from "@handover/reconcile"
import { ControlSchema, type Database, type Driver } from "@handover/sql"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import fc from "fast-check"

const runs = Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30)
const controlSchema = "ledger_status"
const t = ControlSchema.tables(controlSchema)

// ---- the oracle: the ledger's former in-memory algorithm, over a store kept in memory ---------------------------

interface Store {
  /** Reconciled runs in the order recorded (the latest last): what `reconciled_at` orders. */
  reconciliations: Array<{ readonly runId: string; readonly rehearsal: string; readonly pipeline: string; readonly previousRunId: string | null; readonly byStatus: Record<Finding.Status, number>; readonly findings: number }>
  readonly findings: Map<string, ReadonlyArray<FindingsLedger.LedgerFinding>>
  readonly triage: Map<string, { readonly decision: FindingsLedger.Decision; readonly until: string | null }>
  readonly figures: Map<string, ReadonlyArray<string>>
}

const oracleRecord = (
  store: Store,
  run: { readonly runId: string; readonly rehearsal: string; readonly pipeline: string; readonly today: string },
  findings: ReadonlyArray<Finding.Finding>
) => {
  // the earlier reconciled runs of the series, latest first
  const earlier = store.reconciliations
    .filter((r) => r.rehearsal === run.rehearsal && r.pipeline === run.pipeline && r.runId !== run.runId)
    .map((r) => r.runId)
    .reverse()
  const previousRunId = earlier[0] ?? null
  const previous = new Map<string, FindingsLedger.LedgerFinding>()
  const everSeen = new Set<string>()
  if (previousRunId !== null) {
    for (const f of store.findings.get(previousRunId) ?? []) if (f.status !== "resolved") previous.set(f.fingerprint, f)
  }
  for (const runId of earlier) {
    for (const f of store.findings.get(runId) ?? []) if (f.status !== "resolved") everSeen.add(f.fingerprint)
  }
  const accepted = new Set([...store.triage].filter(([, d]) => d.decision === "accepted" && (d.until === null || d.until >= run.today)).map(([f]) => f))
  const current = new Map<string, FindingsLedger.LedgerFinding>()
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
  const resolved = [...previous.values()].filter((f) => !current.has(f.fingerprint)).map((f): FindingsLedger.LedgerFinding => ({ ...f, status: "resolved" }))
  const all = [...current.values(), ...resolved]
  const byStatus = Finding.countByStatus(all)
  store.findings.set(run.runId, all)
  store.reconciliations = store.reconciliations.filter((r) => r.runId !== run.runId)
  store.reconciliations.push({ runId: run.runId, rehearsal: run.rehearsal, pipeline: run.pipeline, previousRunId, byStatus, findings: all.length })
  return { previousRunId, byStatus, findings: all.length }
}

// ---- what happens to the ledger ----------------------------------------------------------------------------------

/** Findings are drawn from a few identities, so that fingerprints repeat within a run and from run to run. */
const identities = [
  { entity: "client", check: "record.person", legacyKey: "1", targetKey: "P1", field: "last_name" },
  { entity: "client", check: "record.person", legacyKey: "1", targetKey: "P1", field: "gender" },
  { entity: "client", check: "record.person", legacyKey: "2", targetKey: "P2", field: null },
  { entity: "client", check: "record.xref", legacyKey: "3", targetKey: null, field: null },
  { entity: "care package", check: "record.care_package", legacyKey: null, targetKey: "CP10", field: null },
  { entity: "care package", check: "count.loaded", legacyKey: null, targetKey: null, field: null },
  { entity: "service line", check: "figure.weekly", legacyKey: null, targetKey: null, field: "cost by provider: a" }
] as const

const text = fc.stringMatching(/^[a-z £'\\\t\n]{0,6}$/)

const finding = fc.record({
  identity: fc.integer({ min: 0, max: identities.length - 1 }),
  kind: fc.constantFrom<Finding.Kind>("missing", "extra", "different", "count", "structure", "money", "rule"),
  severity: fc.constantFrom<Finding.Severity>("error", "warning", "info"),
  legacyValue: fc.option(text),
  targetValue: fc.option(text),
  rule: fc.option(fc.stringMatching(/^[A-Z]-[0-9]{2}( [A-Z]-[0-9]{2})?$/)),
  explanation: fc.option(text),
  message: text
}).map(({ identity, ...rest }): Finding.Finding => ({ ...identities[identity]!, ...rest }))

/** Figure lines staged by a reconciliation: distinct keys, some values. */
const figureLines = fc.uniqueArray(
  fc.record({ figure: fc.constantFrom("f1", "f2"), value: fc.constantFrom("a", "b", "c"), source: fc.integer({ min: -1000, max: 1000 }), rows: fc.option(text) }),
  { selector: (l) => `${l.figure}|${l.value}`, maxLength: 3 }
)

const days = ["2026-01-01", "2026-01-10", "2026-01-20", "2026-02-01"] as const

type Step =
  | {
    readonly _tag: "reconcile"
    readonly runId: string
    readonly series: number
    readonly today: string
    readonly findings: ReadonlyArray<Finding.Finding>
    readonly lines: ReadonlyArray<{ readonly figure: string; readonly value: string; readonly source: number; readonly rows: string | null }>
    /** Findings written a batch of this many at a time, given to the writer in pages of `page`. */
    readonly batch: number
    readonly page: number
  }
  | { readonly _tag: "killed"; readonly runId: string; readonly findings: ReadonlyArray<Finding.Finding> }
  | { readonly _tag: "decide"; readonly identity: number; readonly decision: FindingsLedger.Decision; readonly until: string | null }

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      _tag: fc.constant("reconcile" as const),
      runId: fc.constantFrom("run-a", "run-b", "run-c", "run-d"),
      series: fc.integer({ min: 0, max: 4 }).map((n) => (n === 4 ? 1 : 0)),
      today: fc.constantFrom(...days),
      findings: fc.array(finding, { maxLength: 12 }),
      lines: figureLines,
      batch: fc.integer({ min: 1, max: 5 }),
      page: fc.integer({ min: 1, max: 4 })
    })
  },
  { weight: 1, arbitrary: fc.record({ _tag: fc.constant("killed" as const), runId: fc.constantFrom("run-a", "run-b", "run-c", "run-d"), findings: fc.array(finding, { maxLength: 4 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      _tag: fc.constant("decide" as const),
      identity: fc.integer({ min: 0, max: identities.length - 1 }),
      decision: fc.constantFrom<FindingsLedger.Decision>("accepted", "accepted", "fix_at_source"),
      until: fc.option(fc.constantFrom(...days))
    })
  }
)

const series = [{ rehearsal: "weekly", pipeline: "swift-to-ias" }, { rehearsal: "monthly", pipeline: "swift-to-ias" }] as const

const findingColumns = "run_id, fingerprint, check_id, entity, legacy_key, target_key, field, kind, severity, legacy_value, target_value, rule_id, explanation, message, status"

const storedRow = (runId: string, f: FindingsLedger.LedgerFinding) =>
  JSON.stringify([runId, f.fingerprint, f.check, f.entity, f.legacyKey, f.targetKey, f.field, f.kind, f.severity, f.legacyValue, f.targetValue, f.rule, f.explanation, f.message, f.status])

const lineRow = (runId: string, l: { readonly figure: string; readonly value: string; readonly source: number; readonly rows: string | null }): ReadonlyArray<Driver.SqlValue> => [
  runId, l.figure, "all", l.value, "cost", "pence", l.source, 0, 0, l.source, l.source, 0, l.rows
]

/** Stages figure lines as a figure does while a reconciliation runs. */
const stageLines = (d: Driver.Driver, runId: string, lines: Extract<Step, { _tag: "reconcile" }>["lines"]) =>
  lines.length === 0 ? Promise.resolve() : d.transaction((c) => c.writeRows(t.figureStaged, lines.map((l) => lineRow(runId, l))))

const clearLedger = (db: Database.Database) =>
  db.use("empty the ledger", async (d) => {
    for (const table of [t.finding, t.reconciliation, t.triage, t.figure, t.findingStaged, t.expectedKey, t.figurePart, t.figureStaged]) {
      await d.query(`DELETE FROM ${d.dialect.qualify(table)}`)
    }
  })

/** Waits until the clock has moved on, so that reconciliations recorded one after another have distinct times. */
const tick = Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 3)))

for (const dialect of TestDatabase.dialects().filter((d) => d !== "mssql")) {
  layer(TestDatabase.layer(dialect), { timeout: "300 seconds", excludeTestServices: true })(`the findings ledger in SQL on ${dialect}`, (it) => {
    it.effect("gives the statuses, findings, counts and figure lines the in-memory ledger gives", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* TestDatabase.resetSchemas(db, [controlSchema])
        yield* ControlSchema.migrate(db, controlSchema)
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 7 }), (steps) =>
              Effect.runPromise(Effect.gen(function*() {
                yield* clearLedger(db)
                const store: Store = { reconciliations: [], findings: new Map(), triage: new Map(), figures: new Map() }
                for (const s of steps) {
                  if (s._tag === "decide") {
                    const fingerprint = Finding.fingerprint(identities[s.identity]!)
                    yield* FindingsLedger.decide(db, controlSchema, { fingerprint, decision: s.decision, reason: "reviewed", by: "data owner", until: s.until })
                    store.triage.set(fingerprint, { decision: s.decision, until: s.until })
                    continue
                  }
                  if (s._tag === "killed") {
                    // a reconciliation of the run that staged findings and lines and was stopped before it recorded
                    yield* FindingsLedger.clearStaging(db, controlSchema)
                    const staging = FindingsLedger.staging(db.driver, controlSchema, s.runId, { batchSize: 2 })
                    yield* db.use("stage", async (d) => {
                      await staging.emit(s.findings)
                      await staging.flush()
                      await stageLines(d, s.runId, [{ figure: "f9", value: "killed", source: 1, rows: null }])
                    })
                    continue
                  }
                  const run = { runId: s.runId, ...series[s.series]!, today: s.today }
                  yield* tick
                  yield* FindingsLedger.clearStaging(db, controlSchema)
                  const staging = FindingsLedger.staging(db.driver, controlSchema, s.runId, { batchSize: s.batch })
                  yield* db.use("stage", async (d) => {
                    for (let i = 0; i < s.findings.length; i += s.page) await staging.emit(s.findings.slice(i, i + s.page))
                    await staging.flush()
                    await stageLines(d, s.runId, s.lines)
                  })
                  assert.strictEqual(staging.count(), s.findings.length)
                  const recorded = yield* FindingsLedger.record(db, controlSchema, run)
                  const expected = oracleRecord(store, run, s.findings)
                  store.figures.set(s.runId, s.lines.map((l) => JSON.stringify(lineRow(s.runId, l).map((v) => (v === null ? null : String(v))))).sort())
                  assert.deepStrictEqual(
                    { previousRunId: recorded.previousRunId, byStatus: recorded.byStatus, findings: recorded.findings },
                    expected,
                    "what the recording says"
                  )
                  // every run's stored findings, statuses included
                  const stored = yield* db.use("read findings", (d) => d.queryText(`SELECT ${findingColumns} FROM ${d.dialect.qualify(t.finding)}`))
                  const want = [...store.findings].flatMap(([runId, fs]) => fs.map((f) => storedRow(runId, f)))
                  assert.deepStrictEqual(stored.map((r) => JSON.stringify(r)).sort(), want.sort(), "the findings stored")
                  // every reconciliation row, in the order recorded
                  const reconciliations = yield* db.use("read reconciliations", (d) =>
                    d.queryText(`SELECT run_id, rehearsal, pipeline, previous_run_id, findings, summary FROM ${d.dialect.qualify(t.reconciliation)} ORDER BY reconciled_at, run_id`))
                  assert.deepStrictEqual(
                    reconciliations.map((r) => [r[0], r[1], r[2], r[3], Number(r[4]), JSON.parse(String(r[5]))]),
                    store.reconciliations.map((r) => [r.runId, r.rehearsal, r.pipeline, r.previousRunId, r.findings, r.byStatus]),
                    "the reconciliation rows"
                  )
                  // the figure lines of every recorded run, and nothing staged left behind for this one
                  const figures = yield* db.use("read figure lines", (d) =>
                    d.queryText(
                      `SELECT run_id, figure_id, dimension, dimension_value, measure, unit, source_value, excluded_value, explained_value, expected_value, target_value, variance, rows_behind FROM ${
                        d.dialect.qualify(t.figure)
                      }`
                    ))
                  assert.deepStrictEqual(figures.map((r) => JSON.stringify(r)).sort(), [...store.figures.values()].flat().sort(), "the figure lines")
                  for (const table of [t.findingStaged, t.figureStaged, t.expectedKey, t.figurePart]) {
                    const [[left]] = (yield* db.use("count staged", (d) =>
                      d.queryText(`SELECT COUNT(*) FROM ${d.dialect.qualify(table)} WHERE run_id = ${d.dialect.placeholder(1)}`, [s.runId]))) as [[string]]
                    assert.strictEqual(Number(left), 0, `${table.name} of the recorded run is emptied`)
                  }
                  // the counts by check the reconciliation reports: its standing findings, from the ledger
                  const byCheck = new Map<string, number>()
                  for (const f of store.findings.get(s.runId)!) if (f.status !== "resolved") byCheck.set(f.check, (byCheck.get(f.check) ?? 0) + 1)
                  assert.deepStrictEqual(
                    yield* FindingsLedger.checkCounts(db, controlSchema, s.runId),
                    [...byCheck].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([check, findings]) => ({ check, findings })),
                    "findings by check"
                  )
                }
              }))
            ),
            { numRuns: runs }
          )
        )
      }))

    it.effect("compares two runs' standing findings as the lists of both would", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* TestDatabase.resetSchemas(db, [controlSchema])
        yield* ControlSchema.migrate(db, controlSchema)
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(
              fc.array(finding, { maxLength: 10 }),
              fc.array(finding, { maxLength: 10 }),
              fc.integer({ min: 1, max: 4 }),
              (before, after, shown) =>
                Effect.runPromise(Effect.gen(function*() {
                  yield* clearLedger(db)
                  const store: Store = { reconciliations: [], findings: new Map(), triage: new Map(), figures: new Map() }
                  for (const [runId, findings] of [["run-a", before], ["run-b", after]] as const) {
                    yield* tick
                    const staging = FindingsLedger.staging(db.driver, controlSchema, runId)
                    yield* db.use("stage", async () => {
                      await staging.emit(findings)
                      await staging.flush()
                    })
                    yield* FindingsLedger.record(db, controlSchema, { runId, ...series[0], today: days[0] })
                    oracleRecord(store, { runId, ...series[0], today: days[0] }, findings)
                  }
                  const standing = (runId: string) => store.findings.get(runId)!.filter((f) => f.status !== "resolved")
                  const a = standing("run-a")
                  const b = standing("run-b")
                  const inB = new Set(b.map((f) => f.fingerprint))
                  const inA = new Set(a.map((f) => f.fingerprint))
                  const order = (x: FindingsLedger.LedgerFinding, y: FindingsLedger.LedgerFinding) =>
                    x.check !== y.check ? (x.check < y.check ? -1 : 1) : x.entity !== y.entity ? (x.entity < y.entity ? -1 : 1) : x.fingerprint < y.fingerprint ? -1 : 1
                  const gone = a.filter((f) => !inB.has(f.fingerprint)).sort(order)
                  const came = b.filter((f) => !inA.has(f.fingerprint)).sort(order)
                  const compared = yield* FindingsLedger.compareRuns(db, controlSchema, "run-a", "run-b", shown)
                  assert.deepStrictEqual(
                    { ...compared, someGone: compared.someGone.map((f) => f.fingerprint), someAppeared: compared.someAppeared.map((f) => f.fingerprint) },
                    {
                      gone: gone.length,
                      appeared: came.length,
                      still: b.length - came.length,
                      someGone: gone.slice(0, shown).map((f) => f.fingerprint),
                      someAppeared: came.slice(0, shown).map((f) => f.fingerprint)
                    }
                  )
                }))
            ),
            { numRuns: Math.max(5, Math.round(runs / 2)) }
          )
        )
      }))
  })
}
