/**
 * `handover rehearse`: the whole rehearsal in one command: generate (or reuse) a legacy estate, migrate it, reconcile
 * the run, write the reports and apply the gates.
 */
import { Counts, Databases, ForeignRows, Rehearsal } from "@handover/core"
import { ExampleEstate, SwiftDefects, SwiftEstate } from "@handover/fixtures"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type { Gates, Masking, Summary } from "@handover/report"
import * as CodeVersion from "./CodeVersion.ts"
import * as Pipelines from "./Pipelines.ts"
import type { PipelineName } from "./Pipelines.ts"
import * as Progress from "./Progress.ts"
import { printResult, reconcileRun, stageLine } from "./ReconcileCommand.ts"
import * as ReportCommand from "./ReportCommand.ts"

/** The version of the command, recorded with every run. */
export const version = "0.1.0"

export interface Options {
  readonly pipeline: PipelineName
  readonly clean: boolean
  readonly legacyUrl: string
  readonly targetUrl: string
  readonly rehearsal: string
  readonly clients: number
  readonly seed: number
  readonly batchSize: number
  readonly regenerate: boolean
  readonly json: boolean
  /** Stop after the migration: no reconciliation, reports or gates. */
  readonly migrateOnly: boolean
  readonly cutoverDate: string | undefined
  /** The data owners, in place of the pipeline's own. */
  readonly owners?: ReadonlyArray<Summary.Owner> | undefined
  readonly reportDirectory: string
  readonly reveal: Masking.Reveal
  readonly gates: Gates.GateConfig
  /** Fail (exit 1) when a gate fails; otherwise gates are only reported. */
  readonly enforceGates: boolean
  /** Where a generated estate's manifest of injected defects is kept. */
  readonly manifest: string
  readonly progress: Progress.Choice
  /** Load even when the target tables hold rows no Handover rehearsal loaded (a new run deletes them). */
  readonly allowForeignRows: boolean
  /** How the command holds its databases. */
  readonly holding?: Databases.Holding | undefined
}

const legacyHasEstate = (table: string) =>
  Effect.gen(function*() {
    const legacy = yield* Databases.LegacyDatabase
    return yield* legacy.use("look for the legacy estate", async (d) => {
      try {
        await d.queryText(`SELECT COUNT(*) FROM ${d.dialect.qualify({ schema: undefined, name: table })}`)
        return true
      } catch {
        return false
      }
    })
  })

const pad = (text: string | number, width: number) => String(text).padStart(width)
const width = 24

export const table = (steps: ReadonlyArray<Rehearsal.StepResult>): string => {
  const header = `${"entity".padEnd(width)}${pad("read", 9)}${pad("loaded", 9)}${pad("merged", 9)}${pad("quarant.", 10)}${pad("excluded", 10)}  law`
  const lines = steps.map((s) =>
    `${s.entity.padEnd(width)}${pad(s.counts.read, 9)}${pad(s.counts.loaded, 9)}${pad(s.counts.merged, 9)}${pad(s.counts.quarantined, 10)}${
      pad(s.counts.excluded, 10)
    }  ${Counts.holds(s.counts) ? "holds" : "BROKEN"}`
  )
  return [header, ...lines].join("\n")
}

export interface EstateOptions {
  readonly pipeline: PipelineName
  readonly clean: boolean
  readonly clients: number
  readonly seed: number
  readonly manifest: string
}

/** Generates a legacy estate into the legacy database, with the manifest of its injected defects. */
export const generateEstate = (options: EstateOptions) =>
  Effect.gen(function*() {
    const legacy = yield* Databases.LegacyDatabase
    const kind = options.clean ? "a clean" : "a"
    if (options.pipeline !== "example") yield* SwiftEstate.checkManifest(options.manifest)
    yield* Console.error(`generating ${kind} legacy estate of ${options.clients} clients (seed ${options.seed}) in ${legacy.display}`)
    if (options.pipeline === "example") {
      const rates = options.clean ? {} : ExampleEstate.defaultRates
      yield* ExampleEstate.load(legacy, undefined, ExampleEstate.generate({ seed: options.seed, clients: options.clients, rates }))
    } else {
      const manifest = yield* SwiftEstate.load(legacy, undefined, {
        seed: options.seed,
        clients: options.clients,
        rates: SwiftDefects.rates({}, options.clean)
      })
      yield* Console.error(`injected ${manifest.length} defects; manifest in ${options.manifest}`)
      yield* SwiftEstate.writeManifest(options.manifest, manifest)
    }
  })

export const rehearse = (options: Options) =>
  Effect.gen(function*() {
    if (!options.migrateOnly) yield* ReportCommand.checkDirectory(options.reportDirectory)
    const selected = Pipelines.select(options.pipeline, options.cutoverDate)
    // a target whose tables hold rows Handover did not write is someone else's: a new run would empty them
    if (!options.allowForeignRows) {
      yield* ForeignRows.refuse(yield* Databases.TargetDatabase, selected.pipeline, { targetSchema: selected.targetSchema })
    }
    // wall time of each phase, in seconds, for the final JSON line (a benchmark reads them)
    const phases = { estate: 0, migration: 0, reconciliation: 0, reports: 0 }
    const stages: Array<{ readonly name: string; readonly seconds: number }> = []
    const timed = <A, E, R>(phase: keyof typeof phases, effect: Effect.Effect<A, E, R>) =>
      Effect.gen(function*() {
        const started = performance.now()
        const value = yield* effect
        phases[phase] = Math.round(performance.now() - started) / 1000
        return value
      })
    if (options.regenerate || !(yield* legacyHasEstate(selected.legacyMarker))) {
      // an estate is written into the legacy database: held for it (a server; an embedded folder is held already),
      // and looked for again once held, in case the command that held it wrote one
      const legacy = yield* Databases.holdLegacyForWriting(yield* Databases.LegacyDatabase, options.holding)
      yield* Effect.gen(function*() {
        if (options.regenerate || !(yield* legacyHasEstate(selected.legacyMarker))) yield* timed("estate", generateEstate(options))
      }).pipe(Effect.provideService(Databases.LegacyDatabase, legacy))
    }
    const result = yield* timed("migration", Rehearsal.run(selected.pipeline, {
      rehearsal: options.rehearsal,
      targetSchema: selected.targetSchema,
      batchSize: options.batchSize,
      codeVersion: CodeVersion.current(version),
      parameters: selected.parameters
    }).pipe(Effect.provide(Progress.layer(selected.pipeline, Progress.modeFor(options.json, options.progress)))))
    const target = yield* Databases.TargetDatabase
    if (!options.json) {
      yield* Console.log(
        `${options.pipeline} rehearsal ${result.rehearsal}, run ${result.runId}${result.resumed ? " (resumed)" : ""}, target ${target.display}`
      )
      yield* Console.log(table(result.steps))
    }
    if (options.migrateOnly) {
      if (options.json) yield* Console.log(JSON.stringify(result))
      return
    }
    const reconciled = yield* timed(
      "reconciliation",
      reconcileRun({
        pipeline: options.pipeline,
        rehearsal: options.rehearsal,
        runId: result.runId,
        cutoverDate: options.cutoverDate,
        onStage: (stage) => {
          stages.push({ name: stage.name, seconds: Math.round(stage.seconds * 1000) / 1000 })
          if (Progress.modeFor(options.json, options.progress) !== "none") stageLine(stage)
        }
      })
    )
    if (!options.json) yield* printResult(reconciled, false)
    const reported = yield* timed("reports", ReportCommand.report({
      pipeline: options.pipeline,
      runId: result.runId,
      directory: options.reportDirectory,
      reveal: options.reveal,
      gates: options.gates,
      manifest: options.manifest,
      json: options.json,
      cutoverDate: options.cutoverDate,
      owners: options.owners
    }))
    if (options.json) {
      yield* Console.log(JSON.stringify({
        run: result,
        findings: { total: reconciled.findings, byStatus: reconciled.byStatus, checks: reconciled.checks },
        gates: reported.gates,
        groundTruth: reported.truth ?? null,
        reports: reported.written.directory,
        phases,
        reconciliationStages: stages
      }))
    }
    if (!reported.passed && options.enforceGates) {
      return yield* new ReportCommand.GateError({ message: `gates failed: ${reported.gates.filter((g) => !g.passed).map((g) => `${g.gate} (${g.detail})`).join("; ")}` })
    }
  }).pipe(Effect.scoped, Effect.provide(Databases.layer({ legacy: options.legacyUrl, target: options.targetUrl }, options.holding)))
