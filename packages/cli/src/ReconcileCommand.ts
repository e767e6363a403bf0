/**
 * `handover reconcile`: checks the latest completed run of a rehearsal series against its legacy source and
 * records the findings in the ledger; prints a summary, or the findings one JSON object a line.
 */
import { Databases } from "@handover/core"
import { FindingsLedger, Reconcile } from "@handover/reconcile"
import { ControlSchema } from "@handover/sql"
import { BusinessChecks, HeadlineFigures } from "@handover/swift-to-ias"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Pipelines from "./Pipelines.ts"
import type { PipelineName } from "./Pipelines.ts"

export interface Options {
  readonly pipeline: PipelineName
  readonly legacyUrl: string
  readonly targetUrl: string
  readonly rehearsal: string
  readonly runId?: string
  readonly cutoverDate?: string | undefined
  readonly json: boolean
  /** How the command holds its databases (none: a library call that holds them itself). */
  readonly holding?: Databases.Holding | undefined
}

/** Reconciles a run with every check the pipeline has. */
export const reconcileRun = (
  options: Omit<Options, "legacyUrl" | "targetUrl" | "json" | "holding"> & { readonly onStage?: Reconcile.Options["onStage"] }
) => {
  const selected = Pipelines.select(options.pipeline, options.cutoverDate)
  return Reconcile.run(selected.pipeline, {
    rehearsal: options.rehearsal,
    runId: options.runId,
    onStage: options.onStage,
    targetSchema: selected.targetSchema,
    parameters: selected.parameters,
    ...(options.pipeline === "swift-to-ias" ? { checks: BusinessChecks.all, figures: HeadlineFigures.all } : {})
  })
}

/** Each stage of a reconciliation as it ends, one line on standard error, as the migration's progress lines. */
export const stageLine = (stage: { readonly name: string; readonly seconds: number }) => {
  process.stderr.write(`reconciled ${stage.name} in ${stage.seconds.toFixed(1)} s\n`)
}

/**
 * Prints a reconciliation: a summary on the terminal, or the findings as JSON lines (read from the ledger a page at a
 * time, so memory holds one page however many there are) and the summary on stderr.
 */
export const printResult = (result: Reconcile.Result, json: boolean, done = "reconciled") =>
  Effect.gen(function*() {
    if (json) {
      const target = yield* Databases.TargetDatabase
      const pages = FindingsLedger.findingPages(target.driver, ControlSchema.defaultSchema, result.runId)
      for (;;) {
        const next = yield* target.use("read findings", () => pages.next())
        if (next.done === true) break
        yield* Console.log(next.value.map(Reconcile.jsonLine).join("\n"))
      }
      yield* Console.error(JSON.stringify({ summary: { runId: result.runId, previousRunId: result.previousRunId, byStatus: result.byStatus, checks: result.checks } }))
    } else {
      yield* Console.log(`${done} run ${result.runId}${result.previousRunId === null ? "" : ` against ${result.previousRunId}`}`)
      yield* Console.log(`findings: ${result.findings} (${Object.entries(result.byStatus).map(([s, n]) => `${s} ${n}`).join(", ")})`)
      for (const c of result.checks) yield* Console.log(`  ${c.check.padEnd(40)} ${String(c.findings).padStart(8)}`)
    }
  })

export const reconcile = (options: Options) =>
  Effect.gen(function*() {
    const result = yield* reconcileRun({ ...options, onStage: options.json ? undefined : stageLine })
    yield* printResult(result, options.json)
    return result
  }).pipe(Effect.provide(Databases.layer({ legacy: options.legacyUrl, target: options.targetUrl }, options.holding)))
