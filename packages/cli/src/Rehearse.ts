/**
 * `handover rehearse`: generate (or reuse) a legacy estate, run one rehearsal, print what happened to every row.
 */
import { Counts, Databases, Rehearsal } from "@handover/core"
import { ExampleEstate } from "@handover/fixtures"
import { ExamplePipeline, LegacyTables } from "@handover/pipeline-example"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as CodeVersion from "./CodeVersion.ts"

/** The version of the command, recorded with every run. */
export const version = "0.1.0"

export interface Options {
  readonly legacyUrl: string
  readonly targetUrl: string
  readonly rehearsal: string
  readonly clients: number
  readonly seed: number
  readonly batchSize: number
  readonly regenerate: boolean
  readonly json: boolean
}

const legacyHasEstate = Effect.gen(function*() {
  const legacy = yield* Databases.LegacyDatabase
  return yield* legacy.use("look for the legacy estate", async (d) => {
    try {
      await d.queryText(`SELECT COUNT(*) FROM ${d.dialect.qualify({ schema: undefined, name: LegacyTables.client.name })}`)
      return true
    } catch {
      return false
    }
  })
})

const pad = (text: string | number, width: number) => String(text).padStart(width)

export const table = (steps: ReadonlyArray<Rehearsal.StepResult>): string => {
  const header = `${"entity".padEnd(14)}${pad("read", 9)}${pad("loaded", 9)}${pad("merged", 9)}${pad("quarant.", 10)}${pad("excluded", 10)}  law`
  const lines = steps.map((s) =>
    `${s.entity.padEnd(14)}${pad(s.counts.read, 9)}${pad(s.counts.loaded, 9)}${pad(s.counts.merged, 9)}${pad(s.counts.quarantined, 10)}${
      pad(s.counts.excluded, 10)
    }  ${Counts.holds(s.counts) ? "holds" : "BROKEN"}`
  )
  return [header, ...lines].join("\n")
}

export const rehearse = (options: Options) =>
  Effect.gen(function*() {
    if (options.regenerate || !(yield* legacyHasEstate)) {
      const legacy = yield* Databases.LegacyDatabase
      yield* Console.error(`generating a legacy estate of ${options.clients} clients (seed ${options.seed}) in ${legacy.display}`)
      const estate = ExampleEstate.generate({ seed: options.seed, clients: options.clients, rates: ExampleEstate.defaultRates })
      yield* ExampleEstate.load(legacy, undefined, estate)
    }
    const result = yield* Rehearsal.run(ExamplePipeline.pipeline, {
      rehearsal: options.rehearsal,
      targetSchema: "example",
      batchSize: options.batchSize,
      codeVersion: CodeVersion.current(version)
    })
    if (options.json) {
      yield* Console.log(JSON.stringify(result))
    } else {
      const target = yield* Databases.TargetDatabase
      yield* Console.log(
        `rehearsal ${result.rehearsal}, run ${result.runId}${result.resumed ? " (resumed)" : ""}, target ${target.display}`
      )
      yield* Console.log(table(result.steps))
    }
    return result
  }).pipe(Effect.provide(Databases.layer({ legacy: options.legacyUrl, target: options.targetUrl })))
