/**
 * The count check, per entity: legacy rows = migrated + merged + quarantined + excluded, recounted from the
 * databases, and the run's own counters agreeing with the recount. A few findings an entity at most: given to `emit`
 * together at the end.
 */
import { Ledger, Source, type Pipeline } from "@handover/core"
import type { Database } from "@handover/sql"
import * as Effect from "effect/Effect"
import * as Finding from "./Finding.ts"

export const run = (
  legacy: Database.Database,
  target: Database.Database,
  pipeline: Pipeline.Pipeline,
  options: { readonly runId: string; readonly legacySchema?: string | undefined; readonly controlSchema: string },
  emit: Finding.Emit
) =>
  Effect.gen(function*() {
    const ledger = Ledger.make(target, options.controlSchema)
    const steps = new Map((yield* ledger.steps(options.runId)).map((s) => [s.entity, s] as const))
    const findings: Array<Finding.Finding> = []
    for (const step of pipeline.steps) {
      const source = yield* Source.count(legacy, { schema: options.legacySchema, name: step.source.table })
      const recorded = yield* ledger.recorded(options.runId, step.entity)
      const accounted = recorded.loaded + recorded.merged + recorded.quarantined + recorded.excluded
      if (source !== accounted) {
        findings.push(Finding.make({
          check: "count.identity",
          entity: step.entity,
          kind: "count",
          severity: "error",
          legacyValue: String(source),
          targetValue: String(accounted),
          message: `${step.entity}: ${source} legacy rows but ${accounted} accounted for (migrated ${recorded.loaded}, merged ${recorded.merged}, quarantined ${recorded.quarantined}, excluded ${recorded.excluded})`
        }))
      }
      const counters = steps.get(step.entity)?.counts
      for (const k of ["loaded", "merged", "quarantined", "excluded"] as const) {
        if (counters !== undefined && counters[k] !== recorded[k]) {
          findings.push(Finding.make({
            check: `count.${k}`,
            entity: step.entity,
            kind: "count",
            severity: "error",
            legacyValue: String(counters[k]),
            targetValue: String(recorded[k]),
            message: `${step.entity}: the run counted ${counters[k]} rows ${k} but the control schema records ${recorded[k]}`
          }))
        }
      }
    }
    if (findings.length > 0) yield* target.use("record count findings", () => emit(findings))
    return findings.length
  })
