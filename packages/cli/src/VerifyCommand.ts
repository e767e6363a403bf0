/**
 * `handover verify`: the supplier's load checked against the council's mapping. The legacy database and the
 * supplier's are only read; the mapping, the copy of the delivery and the findings go to a control database of their
 * own (`--control`, `HANDOVER_CONTROL_URL`, by default an embedded one under `.handover/`), held as every writing
 * command holds its target. Prints what it found (or the findings as JSON lines), writes the reports, and applies the
 * gates as a rehearsal does.
 */
import { Databases } from "@handover/core"
import { Verify } from "@handover/reconcile"
import type { Gates, Masking, Summary } from "@handover/report"
import { Database } from "@handover/sql"
import { BusinessChecks, HeadlineFigures } from "@handover/swift-to-ias"
import * as Effect from "effect/Effect"
import { existsSync } from "node:fs"
import * as Pipelines from "./Pipelines.ts"
import type { PipelineName } from "./Pipelines.ts"
import { printResult } from "./ReconcileCommand.ts"
import * as ReportCommand from "./ReportCommand.ts"

export interface Options {
  readonly pipeline: PipelineName
  readonly legacyUrl: string
  readonly supplierUrl: string
  /** The schema of the pipeline's target tables in the supplier's database. */
  readonly supplierSchema: string | undefined
  /** `FILE.csv`, or `SCHEMA.TABLE` in the supplier's database. */
  readonly xref: string
  readonly controlUrl: string
  readonly rehearsal: string
  readonly json: boolean
  readonly reveal: Masking.Reveal
  readonly reportDirectory: string
  readonly gates: Gates.GateConfig
  readonly enforceGates: boolean
  readonly owners?: ReadonlyArray<Summary.Owner> | undefined
  readonly cutoverDate?: string | undefined
  readonly holding: Databases.Holding
}

/** The cross-reference as given: a file that exists (or a name ending `.csv`), else a table `SCHEMA.TABLE`. */
export const xrefSource = (text: string): Verify.XrefSource => {
  if (existsSync(text) || /\.csv$/i.test(text)) return { _tag: "File", path: text }
  const dot = text.indexOf(".")
  return dot < 0 ? { _tag: "Table", schema: undefined, name: text } : { _tag: "Table", schema: text.slice(0, dot), name: text.slice(dot + 1) }
}

const same = (a: string, b: string) => a.trim() === b.trim()

export const verify = (options: Options) =>
  Effect.gen(function*() {
    if (same(options.controlUrl, options.supplierUrl)) {
      return yield* new Verify.VerifyError({ message: "the control database must not be the supplier's: nothing is written to the supplier's database (give --control)" })
    }
    const source = xrefSource(options.xref)
    if (source._tag === "File" && !existsSync(source.path)) {
      return yield* new Verify.VerifyError({ message: `the cross-reference ${source.path} does not exist` })
    }
    const warn = (message: string) => process.stderr.write(`${message}\n`)
    const control = yield* Database.openUrl(options.controlUrl, Databases.targetHold(options.holding, warn))
    const legacy = same(options.legacyUrl, options.controlUrl) ? control : yield* Database.openUrl(options.legacyUrl, Databases.legacyHold(options.holding, warn))
    const supplier = same(options.supplierUrl, options.legacyUrl) ? legacy : yield* Database.openUrl(options.supplierUrl, Databases.legacyHold(options.holding, warn))
    const selected = Pipelines.select(options.pipeline, options.cutoverDate)
    const result = yield* Verify.run(
      selected.pipeline,
      { database: supplier, schema: options.supplierSchema ?? selected.targetSchema, xref: source },
      {
        rehearsal: options.rehearsal,
        targetSchema: selected.targetSchema,
        parameters: selected.parameters,
        checks: options.pipeline === "swift-to-ias" ? BusinessChecks.all : [],
        figures: options.pipeline === "swift-to-ias" ? HeadlineFigures.all : [],
        onStage: options.json ? undefined : (stage) => process.stderr.write(`verified ${stage.name} in ${stage.seconds.toFixed(1)} s\n`)
      }
    ).pipe(Effect.provideService(Databases.LegacyDatabase, legacy), Effect.provideService(Databases.TargetDatabase, control))
    yield* printResult({ ...result, figureLines: 0 }, options.json, "verified the delivery against the mapping's").pipe(Effect.provideService(Databases.TargetDatabase, control))
    const reported = yield* ReportCommand.report({
      pipeline: options.pipeline,
      runId: result.runId,
      directory: options.reportDirectory,
      reveal: options.reveal,
      gates: options.gates,
      manifest: undefined,
      json: options.json,
      cutoverDate: options.cutoverDate,
      owners: options.owners,
      returns: false
    }).pipe(Effect.provideService(Databases.TargetDatabase, control))
    if (!reported.passed && options.enforceGates) {
      return yield* new ReportCommand.GateError({ message: `gates failed: ${reported.gates.filter((g) => !g.passed).map((g) => `${g.gate} (${g.detail})`).join("; ")}` })
    }
  }).pipe(Effect.scoped)
