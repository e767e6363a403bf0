/**
 * Reports and gates of a reconciled run: the report files for data owners and CI, the gate results, and — for a
 * generated estate whose manifest of injected defects is at hand — how the findings compare with the ground truth.
 */
import { existsSync } from "node:fs"
import { Databases } from "@handover/core"
import { ControlSchema } from "@handover/sql"
import { SwiftCatchers, SwiftEstate } from "@handover/fixtures"
import { Gates, Masking, ReportData, Reports, type Summary } from "@handover/report"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Pipelines from "./Pipelines.ts"
import type { PipelineName } from "./Pipelines.ts"

export class GateError extends Schema.TaggedError<GateError>()("GateError", { message: Schema.String }) {}

/** The reports cannot be written at the level asked for (a pseudonym key missing or too short): the command could not run. */
export class RevealError extends Schema.TaggedError<RevealError>()("RevealError", { message: Schema.String }) {}

/** The data owners of a SWIFT migration and what is theirs. */
export const owners = (pipeline: PipelineName): ReadonlyArray<Summary.Owner> =>
  pipeline === "example"
    ? [{ name: "People and care packages", entities: ["client", "care package"], figures: [] }]
    : [
      { name: "People (service managers)", entities: ["client", "address", "relationship", "referral", "assessment", "review"], figures: ["figure.people", "figure.service-users"] },
      { name: "Care packages and providers", entities: ["provider", "care package", "package line"], figures: ["figure.weekly-commitment"] },
      {
        name: "Finance (finance officers)",
        entities: ["financial assessment", "contribution", "provider invoice", "provider invoice line", "debtor invoice", "debtor receipt", "transport trip"],
        figures: ["figure.contributions", "figure.debtor-invoices", "figure.debtor-receipts", "figure.transport-charges"]
      },
      { name: "Safeguarding", entities: ["safeguarding concern", "safeguarding enquiry", "safeguarding risk"], figures: ["figure.safeguarding-concerns", "figure.safeguarding-enquiries"] }
    ]

/** How the findings of a run compare with the defects injected into a generated estate (`SwiftCatchers.summary`). */
export type GroundTruth = SwiftCatchers.Summary

/**
 * The ground truth of a run: each injected defect caught only by a record of one of its kind's catchers at its row,
 * read from the run's control records and standing findings at the defects' rows, the manifest a page at a time.
 */
const groundTruth = (runId: string, manifest: string) =>
  Effect.gen(function*() {
    const target = yield* Databases.TargetDatabase
    // a manifest that cannot be read is its own error, not the database's
    const result = yield* target.use("compare the findings with the manifest", (d) =>
      SwiftCatchers.groundTruth(d, ControlSchema.defaultSchema, runId, SwiftEstate.manifestPages(manifest, 5_000)).then(
        (summary) => ({ _tag: "compared" as const, summary }),
        (cause: unknown) => {
          if (cause instanceof SwiftEstate.ManifestError) return { _tag: "unreadable" as const, error: cause }
          throw cause
        }
      ))
    if (result._tag === "unreadable") return yield* Effect.fail(result.error)
    return result.summary
  })

/**
 * Checks, before a rehearsal spends its time, that its reports can be written into the folder; fails with a
 * `ReportsError` naming the folder and the reason when they cannot.
 */
export const checkDirectory = Reports.checkDirectory

export interface Options {
  readonly pipeline: PipelineName
  readonly runId: string
  readonly directory: string
  readonly reveal: Masking.Reveal
  readonly gates: Gates.GateConfig
  readonly manifest: string | undefined
  readonly json: boolean
  /** The cut-over the pipeline's returns are made at (the CLD return's reporting period ends there). */
  readonly cutoverDate?: string | undefined
  /** The data owners, in place of the pipeline's own (`handover.config.ts`). */
  readonly owners?: ReadonlyArray<Summary.Owner> | undefined
  /** Whether the pipeline's returns are made from the target too (not for a verification: the target is the mapping's). */
  readonly returns?: boolean | undefined
}

export const report = (options: Options) =>
  Effect.gen(function*() {
    const target = yield* Databases.TargetDatabase
    const masker = yield* Effect.try({
      try: () => Masking.make(options.reveal, process.env.HANDOVER_PSEUDONYM_KEY),
      catch: (e) => new RevealError({ message: e instanceof Error ? e.message : String(e) })
    })
    const data = yield* ReportData.load(target, { runId: options.runId, masker })
    const gates = Gates.evaluate(data, options.gates)
    // the pipeline's returns, made from the target as the reports are written
    const selected = Pipelines.select(options.pipeline, options.cutoverDate)
    const files = (options.returns === false ? [] : selected.pipeline.returns ?? []).map((r): Reports.ReturnFile => ({
      file: r.file,
      columns: r.columns,
      rows: () =>
        r.rows({
          runId: options.runId,
          target: target.driver,
          targetSchema: selected.targetSchema,
          controlSchema: ControlSchema.defaultSchema,
          parameters: selected.parameters
        })
    }))
    const written = yield* Reports.writeAll(options.directory, data, gates, {
      owners: options.owners ?? owners(options.pipeline),
      returns: { files, masker },
      codeValues: selected.pipeline.codeValues
    })
    const truth = options.manifest !== undefined && existsSync(options.manifest)
      ? yield* groundTruth(options.runId, options.manifest)
      : undefined
    if (!options.json) {
      for (const g of gates) yield* Console.log(`gate ${g.gate.padEnd(20)} ${g.passed ? "passed" : "FAILED"}  ${g.detail}`)
      if (truth !== undefined) {
        yield* Console.log(
          `ground truth: of ${truth.forReconciliation} injected defects left to reconciliation, ${truth.reported} were reported at their row by a check for their kind, ` +
            `${truth.heldBack} were on rows the migration held back, ${truth.forReconciliation - truth.reported - truth.heldBack} missed ${JSON.stringify(truth.missed)}; ` +
            `${truth.withoutInjectedCause} of ${truth.findings} findings catch no injected defect at their row`
        )
      }
      const returns = files.map((f) => `${f.file}, `).join("")
      yield* Console.log(`reports (personal data ${options.reveal}): ${written.directory}/report.html, report.xlsx, report.json, summary.md, junit.xml, ${returns}csv/`)
    }
    return { gates, passed: Gates.passed(gates), written, truth }
  })
