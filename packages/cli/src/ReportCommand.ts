/**
 * Reports and gates of a reconciled run: the report files for data owners and CI, the gate results, and — for a
 * generated estate whose manifest of injected defects is at hand — how the findings compare with the ground truth.
 */
import { existsSync } from "node:fs"
import { readFile } from "node:fs/promises"
import { Databases } from "@handover/core"
import { SwiftDefects, SwiftEstate } from "@handover/fixtures"
import type { FindingsLedger } from "@handover/reconcile"
import { Gates, Masking, ReportData, Reports, type Summary } from "@handover/report"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type { PipelineName } from "./Rehearse.ts"

export class GateError extends Schema.TaggedError<GateError>()("GateError", { message: Schema.String }) {}

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

export interface GroundTruth {
  readonly injected: number
  readonly forReconciliation: number
  readonly reported: number
  readonly findings: number
  readonly withoutInjectedCause: number
}

/** How the findings of a run compare with the defects injected into a generated estate. */
export const groundTruth = (manifestText: string, findings: ReadonlyArray<FindingsLedger.LedgerFinding>): GroundTruth => {
  const manifest = SwiftEstate.parseManifest(manifestText)
  const live = findings.filter((f) => f.status !== "resolved")
  const reported = new Set(live.map((f) => `${f.entity}/${f.legacyKey}`))
  const forReconciliation = manifest.filter((d) => SwiftDefects.byName.get(d.kind)?.caughtBy === "reconciliation")
  const injected = new Set(manifest.map((d) => `${d.entity}/${d.legacyKey}`))
  return {
    injected: manifest.length,
    forReconciliation: forReconciliation.length,
    reported: forReconciliation.filter((d) => reported.has(`${d.entity}/${d.legacyKey}`)).length,
    findings: live.length,
    withoutInjectedCause: live.filter((f) => !injected.has(`${f.entity}/${f.legacyKey}`)).length
  }
}

export interface Options {
  readonly pipeline: PipelineName
  readonly runId: string
  readonly directory: string
  readonly reveal: Masking.Reveal
  readonly gates: Gates.GateConfig
  readonly manifest: string | undefined
  readonly json: boolean
}

export const report = (options: Options) =>
  Effect.gen(function*() {
    const target = yield* Databases.TargetDatabase
    const masker = yield* Effect.try({
      try: () => Masking.make(options.reveal, process.env.HANDOVER_PSEUDONYM_KEY),
      catch: (e) => new GateError({ message: e instanceof Error ? e.message : String(e) })
    })
    const data = yield* ReportData.load(target, { runId: options.runId, masker })
    const gates = Gates.evaluate(data, options.gates)
    const written = yield* Effect.promise(() => Reports.write(options.directory, data, gates, { owners: owners(options.pipeline) }))
    const truth = options.manifest !== undefined && existsSync(options.manifest)
      ? groundTruth(yield* Effect.promise(() => readFile(options.manifest!, "utf8")), data.findings)
      : undefined
    if (!options.json) {
      for (const g of gates) yield* Console.log(`gate ${g.gate.padEnd(20)} ${g.passed ? "passed" : "FAILED"}  ${g.detail}`)
      if (truth !== undefined) {
        yield* Console.log(
          `ground truth: ${truth.reported} of ${truth.forReconciliation} injected defects left to reconciliation were reported; ` +
            `${truth.withoutInjectedCause} of ${truth.findings} findings have no injected defect at their row`
        )
      }
      yield* Console.log(`reports (personal data ${options.reveal}): ${written.directory}/report.html, report.xlsx, report.json, summary.md, junit.xml, csv/`)
    }
    return { gates, passed: Gates.passed(gates), written, truth }
  })
