/**
 * `handover runs` and `handover triage`: the rehearsals in the control schema with their counts and findings, what
 * changed between any two, and decisions on findings that carry to the next rehearsal.
 */
import { Databases, Ledger } from "@handover/core"
import { Decisions, type FindingsLedger, FindingsLedger as Findings } from "@handover/reconcile"
import { DecisionSheets } from "@handover/report"
import { ControlSchema } from "@handover/sql"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as path from "node:path"
import * as Pipelines from "./Pipelines.ts"
import type { PipelineName } from "./Pipelines.ts"

export class RunsError extends Schema.TaggedError<RunsError>()("RunsError", { message: Schema.String }) {}

const schema = ControlSchema.defaultSchema

/** The latest reconciled run of a series. */
export const latestReconciled = (pipeline: PipelineName, rehearsal: string) =>
  Effect.gen(function*() {
    const target = yield* Databases.TargetDatabase
    const list = yield* Findings.reconciliations(target, schema, { rehearsal, pipeline: Pipelines.select(pipeline).pipeline.name })
    const latest = list.at(-1)
    if (latest === undefined) return yield* new RunsError({ message: `no reconciled run in the rehearsal series ${rehearsal}` })
    return latest.runId
  })

export const list = (options: { readonly compare: string | undefined; readonly json: boolean }) =>
  Effect.gen(function*() {
    const target = yield* Databases.TargetDatabase
    yield* Ledger.migrate(target, schema)
    const ledger = Ledger.make(target, schema)
    const runs = yield* ledger.runs()
    if (options.compare !== undefined) {
      const [a, b] = options.compare.split(",").map((s) => s.trim())
      if (a === undefined || b === undefined || !runs.some((r) => r.runId === a) || !runs.some((r) => r.runId === b)) {
        return yield* new RunsError({ message: "--compare takes two run ids of this target, comma separated" })
      }
      // worked out in the database: memory holds the counts and the few findings shown
      const compared = yield* Findings.compareRuns(target, schema, a, b, 20)
      const stepsA = yield* ledger.steps(a)
      const stepsB = yield* ledger.steps(b)
      const counts = stepsB.map((s) => {
        const old = stepsA.find((o) => o.entity === s.entity)?.counts
        return { entity: s.entity, before: old ?? null, after: s.counts }
      })
      if (options.json) {
        yield* Console.log(JSON.stringify({ from: a, to: b, fixed: compared.gone, appeared: compared.appeared, still: compared.still, counts }))
        return
      }
      yield* Console.log(`from ${a} to ${b}: ${compared.gone} findings gone, ${compared.appeared} appeared, ${compared.still} still there`)
      for (const c of counts) {
        if (c.before === null || JSON.stringify(c.before) !== JSON.stringify(c.after)) {
          yield* Console.log(`  ${c.entity.padEnd(24)} loaded ${c.before?.loaded ?? "-"} → ${c.after.loaded}, quarantined ${c.before?.quarantined ?? "-"} → ${c.after.quarantined}, excluded ${c.before?.excluded ?? "-"} → ${c.after.excluded}`)
        }
      }
      const show = (label: string, fs: ReadonlyArray<FindingsLedger.LedgerFinding>) =>
        Effect.forEach(fs, (f) => Console.log(`  ${label} ${f.check} ${f.entity} ${f.legacyKey ?? ""} ${f.field ?? ""}`))
      yield* show("gone", compared.someGone)
      yield* show("new ", compared.someAppeared)
      return
    }
    const byRun = new Map<string, FindingsLedger.Reconciliation>()
    for (const series of new Set(runs.map((r) => `${r.pipeline}\u0000${r.rehearsal}`))) {
      const [pipeline, rehearsal] = series.split("\u0000") as [string, string]
      for (const r of yield* Findings.reconciliations(target, schema, { pipeline, rehearsal })) byRun.set(r.runId, r)
    }
    if (options.json) {
      for (const r of runs) yield* Console.log(JSON.stringify({ ...r, findings: byRun.get(r.runId)?.byStatus ?? null }))
      return
    }
    for (const r of runs) {
      const f = byRun.get(r.runId)?.byStatus
      yield* Console.log(
        `${r.runId}  ${r.pipeline.padEnd(13)} ${r.rehearsal.padEnd(12)} ${r.startedAt.toISOString().slice(0, 19)}  ${r.status.padEnd(9)}` +
          (f === undefined ? " not reconciled" : ` new ${f.new}, open ${f.open}, regressed ${f.regressed}, accepted ${f.accepted}, resolved ${f.resolved}`)
      )
    }
  })

export const triage = (decision: {
  readonly fingerprint: string
  readonly decision: FindingsLedger.Decision
  readonly reason: string
  readonly by: string
  readonly until: string | null
}) =>
  Effect.gen(function*() {
    if (decision.until !== null && !/^\d{4}-\d{2}-\d{2}$/.test(decision.until)) return yield* new RunsError({ message: "--until takes a day, yyyy-mm-dd" })
    if (decision.reason.trim() === "") return yield* new RunsError({ message: "--reason must say why" })
    const target = yield* Databases.TargetDatabase
    yield* Ledger.migrate(target, schema)
    yield* Findings.decide(target, schema, decision)
    yield* Console.log(`${decision.fingerprint}: ${decision.decision}${decision.until === null ? "" : ` until ${decision.until}`}; applies from the next reconciliation`)
  })

/**
 * `handover triage --import FILE`: the decisions a person made in a workbook of the reports, applied all at once, or
 * none: every wrong row is printed (sheet, row, reason), then the command stops, exit 2, having changed nothing.
 */
export const importDecisions = (options: { readonly file: string; readonly rehearsal: string; readonly by: string }) =>
  Effect.gen(function*() {
    const read = yield* Effect.tryPromise({
      try: () => DecisionSheets.read(options.file),
      catch: (cause) => new RunsError({ message: `${options.file} cannot be read as a workbook: ${cause instanceof Error ? cause.message : String(cause)}` })
    })
    const target = yield* Databases.TargetDatabase
    yield* Ledger.migrate(target, schema)
    // the lists a mapped value must come from: the workbook's pipeline's
    const named = Pipelines.pipelines.find((p) => p === read.pipeline)
    const workbook: Decisions.Workbook = { file: path.basename(options.file), rehearsal: read.rehearsal, runId: read.runId, decided: read.decided, wrong: read.wrong }
    const outcome = yield* Decisions.fromWorkbook(target, workbook, {
      controlSchema: schema,
      rehearsal: options.rehearsal,
      importedBy: options.by,
      today: new Date().toISOString().slice(0, 10),
      codeValues: named === undefined ? undefined : Pipelines.select(named).pipeline.codeValues
    })
    if (outcome._tag === "Refused") {
      for (const w of outcome.wrong) yield* Console.error(`  ${w.sheet}${w.row > 0 ? ` row ${w.row}` : ""}: ${w.reason}`)
      return yield* new RunsError({ message: `${options.file}: ${outcome.wrong.length} ${outcome.wrong.length === 1 ? "row" : "rows"} refused, nothing applied` })
    }
    const counts = Object.entries(outcome.byDecision).map(([d, n]) => `${d.replaceAll("_", " ")} ${n}`).join(", ")
    yield* Console.log(`${options.file}: ${outcome.decisions} decisions applied (${counts || "none"}); they apply from the next rehearsal`)
  })
