/**
 * One reconciliation of a migrated run: structure, counts and the record-level comparison, every finding recorded
 * in the findings ledger with its status against the previous run of the same rehearsal series.
 */
import { Databases, Ledger, type Pipeline } from "@handover/core"
import { Arrays, ControlSchema, Names } from "@handover/sql"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as CountCheck from "./CountCheck.ts"
import * as Figure from "./Figure.ts"
import * as Finding from "./Finding.ts"
import * as FindingsLedger from "./FindingsLedger.ts"
import * as RecordCheck from "./RecordCheck.ts"
import * as StructureCheck from "./StructureCheck.ts"

export class ReconcileError extends Schema.TaggedError<ReconcileError>()("ReconcileError", { message: Schema.String }) {}

/** What a pipeline's own checks (money totals, business rules) get to work with: the run and both databases. */
export type CheckContext = Figure.Context

/** A check of a pipeline's own: headline figures and business rules that only it knows. */
export interface Check {
  readonly id: string
  readonly description: string
  /** The check's findings in pages of bounded size, as it finds them. */
  readonly run: (context: CheckContext) => AsyncIterable<ReadonlyArray<Finding.Finding>>
}

export interface Options {
  /** The pipeline's own checks, run after the generic ones. */
  readonly checks?: ReadonlyArray<Check>
  /** The pipeline's headline figures, reconciled from both sides. */
  readonly figures?: ReadonlyArray<Figure.Figure>
  /** The rehearsal series; its latest completed run is reconciled unless `runId` names one. */
  readonly rehearsal: string
  readonly runId?: string | undefined
  readonly legacySchema?: string | undefined
  readonly targetSchema: string
  readonly controlSchema?: string
  readonly batchSize?: number
  readonly parameters?: Readonly<Record<string, string>>
  /** The day acceptances are checked against (`yyyy-mm-dd`); today by default. */
  readonly today?: string
}

export interface CheckSummary {
  readonly check: string
  readonly findings: number
}

export interface Result extends FindingsLedger.Recorded {
  readonly checks: ReadonlyArray<CheckSummary>
  readonly figures: ReadonlyArray<Figure.Line>
}

export const run = (pipeline: Pipeline.Pipeline, options: Options) =>
  Effect.gen(function*() {
    const legacy = yield* Databases.LegacyDatabase
    const target = yield* Databases.TargetDatabase
    const controlSchema = options.controlSchema ?? ControlSchema.defaultSchema
    yield* Names.checkMigration(legacy, target, { ...options, controlSchema }, pipeline.steps.map((s) => s.source.table))
    yield* Ledger.migrate(target, controlSchema)
    const ledger = Ledger.make(target, controlSchema)
    let runId = options.runId
    if (runId === undefined) {
      const runs = (yield* ledger.runs({ pipeline: pipeline.name, rehearsal: options.rehearsal })).filter((r) => r.status === "completed")
      runId = runs.at(-1)?.runId
      if (runId === undefined) {
        return yield* new ReconcileError({ message: `no completed run of ${pipeline.name} in rehearsal series ${options.rehearsal} to reconcile` })
      }
    }
    const findings: Array<Finding.Finding> = []
    Arrays.appendAll(findings, yield* StructureCheck.run(target, pipeline, options.targetSchema))
    Arrays.appendAll(findings, yield* CountCheck.run(legacy, target, pipeline, { runId, legacySchema: options.legacySchema, controlSchema }))
    yield* RecordCheck.run(pipeline, { ...options, runId, controlSchema }, (f) => findings.push(f))
    const context: CheckContext = {
      runId,
      legacy: legacy.driver,
      target: target.driver,
      legacySchema: options.legacySchema,
      targetSchema: options.targetSchema,
      controlSchema,
      parameters: options.parameters ?? {}
    }
    const emit: Finding.Emit = async (page) => {
      Arrays.appendAll(findings, page)
    }
    yield* target.use("clear figure lines", (d) =>
      d.query(`DELETE FROM ${d.dialect.qualify(ControlSchema.tables(controlSchema).figureStaged)} WHERE run_id = ${d.dialect.placeholder(1)}`, [runId]))
    for (const figure of options.figures ?? []) {
      yield* target.use(`figure ${figure.id}`, () => Figure.reconcile(context, figure, emit))
    }
    const figures = yield* target.use("read figure lines", async (d) =>
      (await d.queryText(`SELECT * FROM ${d.dialect.qualify(ControlSchema.tables(controlSchema).figureStaged)} WHERE run_id = ${d.dialect.placeholder(1)}`, [runId])).map((r) => ({
        figure: String(r[1]), dimension: String(r[2]), value: String(r[3]), measure: String(r[4]), unit: String(r[5]) as Figure.Unit,
        source: Number(r[6]), excluded: Number(r[7]), explained: Number(r[8]), expected: Number(r[9]), target: Number(r[10]), variance: Number(r[11]),
        rows: r[12] === null || r[12] === undefined ? [] : String(r[12]).split("\n")
      })))
    for (const check of options.checks ?? []) {
      yield* target.use(`check ${check.id}`, async () => {
        for await (const page of check.run(context)) Arrays.appendAll(findings, page)
      })
    }
    const recorded = yield* FindingsLedger.record(target, controlSchema, {
      runId,
      rehearsal: options.rehearsal,
      pipeline: pipeline.name,
      today: options.today ?? new Date().toISOString().slice(0, 10)
    }, findings, (connection) => Figure.write(connection, target.dialect, controlSchema, runId, figures))
    const counts = new Map<string, number>()
    for (const f of findings) counts.set(f.check, (counts.get(f.check) ?? 0) + 1)
    return { ...recorded, checks: [...counts].map(([check, n]) => ({ check, findings: n })), figures } satisfies Result
  })

/** A finding as one JSON line: the fields scripts and CI depend on first. */
export const jsonLine = (f: FindingsLedger.LedgerFinding): string =>
  JSON.stringify({
    fingerprint: f.fingerprint,
    check: f.check,
    entity: f.entity,
    legacyKey: f.legacyKey,
    targetKey: f.targetKey,
    field: f.field,
    kind: f.kind,
    severity: f.severity,
    status: f.status,
    legacyValue: f.legacyValue,
    targetValue: f.targetValue,
    rule: f.rule,
    explanation: f.explanation,
    message: f.message
  })
