/**
 * One reconciliation of a migrated run: structure, counts and the record-level comparison, every finding recorded
 * in the findings ledger with its status against the previous run of the same rehearsal series, beside the items of
 * the data owners' worklists (the rows the migration held back or flagged, its unmapped codes, its likely duplicates).
 */
import { Databases, Ledger, type Pipeline } from "@handover/core"
import { ControlSchema, Names } from "@handover/sql"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as CountCheck from "./CountCheck.ts"
import * as Figure from "./Figure.ts"
import * as Finding from "./Finding.ts"
import * as FindingsLedger from "./FindingsLedger.ts"
import * as RecordCheck from "./RecordCheck.ts"
import * as StructureCheck from "./StructureCheck.ts"
import * as WorklistItems from "./WorklistItems.ts"

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
  /** Hears each stage of the reconciliation end (a check, a figure, the recording), with its wall time. */
  readonly onStage?: ((stage: { readonly name: string; readonly seconds: number }) => void) | undefined
}

export interface CheckSummary {
  readonly check: string
  readonly findings: number
}

/**
 * A reconciliation, counted: the run's findings by status (resolved ones included) and by check (resolved ones left
 * out), and how many figure lines it recorded. The findings and lines themselves are in the ledger, read in pages
 * (`FindingsLedger.findingPages`, `Figure.linePages`).
 */
export interface Result extends FindingsLedger.Recorded {
  readonly checks: ReadonlyArray<CheckSummary>
  readonly figureLines: number
}

/** Runs an effect as a named stage, telling `onStage` its wall time when it ends. */
export const staged = (onStage: ((stage: { readonly name: string; readonly seconds: number }) => void) | undefined) =>
<A, E, R>(name: string, effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const started = performance.now()
    const out = yield* effect
    onStage?.({ name, seconds: (performance.now() - started) / 1000 })
    return out
  })

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
    const stage = staged(options.onStage)
    // what a reconciliation of this run killed before it recorded left behind goes first
    yield* FindingsLedger.clearStaging(target, controlSchema)
    const staging = FindingsLedger.staging(target.driver, controlSchema, runId)
    yield* stage("structure", StructureCheck.run(target, pipeline, options.targetSchema, staging.emit))
    yield* stage("counts", CountCheck.run(legacy, target, pipeline, { runId, legacySchema: options.legacySchema, controlSchema }, staging.emit))
    // the migration's own row-level issues, items of the data owners' worklists
    yield* stage("worklists", target.use("read the worklists", () => WorklistItems.run(target.driver, { runId, controlSchema }, staging.emit)))
    const context: CheckContext = {
      runId,
      legacy: legacy.driver,
      target: target.driver,
      legacySchema: options.legacySchema,
      targetSchema: options.targetSchema,
      controlSchema,
      parameters: options.parameters ?? {}
    }
    // the record check maps every legacy row again and works mostly in Node; the figures and the pipeline's checks
    // work mostly in the databases: the two go side by side. Figures and checks go two at a time: each reads and
    // writes only what is its own (a figure's parts and lines carry its id), and while one waits on a database the
    // other works. Findings are recorded in check order whatever order they are staged in.
    const records = stage("records", RecordCheck.run(pipeline, { ...options, runId, controlSchema }, staging.emit))
    const figuresAndChecks = Effect.gen(function*() {
      yield* Effect.forEach(options.figures ?? [], (figure) =>
        stage(figure.id, target.use(`figure ${figure.id}`, () => Figure.reconcile(context, figure, staging.emit))), { concurrency: 2, discard: true })
      yield* Effect.forEach(options.checks ?? [], (check) =>
        stage(check.id, target.use(`check ${check.id}`, async () => {
          for await (const page of check.run(context)) await staging.emit(page)
        })), { concurrency: 2, discard: true })
    })
    yield* Effect.all([records, figuresAndChecks], { concurrency: 2, discard: true })
    yield* target.use("record findings", () => staging.flush())
    const recorded = yield* stage("ledger", FindingsLedger.record(target, controlSchema, {
      runId,
      rehearsal: options.rehearsal,
      pipeline: pipeline.name,
      today: options.today ?? new Date().toISOString().slice(0, 10)
    }))
    const checks = yield* FindingsLedger.checkCounts(target, controlSchema, runId)
    const figureLines = yield* target.use("count figure lines", async (d) => {
      const [row] = await d.queryText(
        `SELECT COUNT(*) FROM ${d.dialect.qualify(ControlSchema.tables(controlSchema).figure)} WHERE run_id = ${d.dialect.placeholder(1)}`,
        [runId]
      )
      return Number(row?.[0] ?? 0)
    })
    return { ...recorded, checks, figureLines } satisfies Result
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
