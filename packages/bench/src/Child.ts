/**
 * One measured piece of the benchmark in a process of its own, so that its peak memory (`maxRSS`) is its own:
 * `migrate LEGACY_URL TARGET_URL` runs a whole rehearsal of the SWIFT migration and times each entity step;
 * `diff LEGACY_URL TABLE TARGET_URL SCHEMA.TABLE` runs the table diff. Prints one JSON object.
 */
import { Databases, Rehearsal } from "@handover/core"
import { TableDiff } from "@handover/reconcile"
import { Database, Table } from "@handover/sql"
import { LegacyTables, SwiftPipeline } from "@handover/swift-to-ias"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const [mode, ...args] = process.argv.slice(2)

const migrate = (legacyUrl: string, targetUrl: string) =>
  Effect.gen(function*() {
    const steps: Array<{ entity: string; rows: number; ms: number; afterMs: number }> = []
    // the work after a step (likely duplicates, carer links) is timed apart from the load itself
    const afterMs = new Map<string, number>()
    const afterStep = Object.fromEntries(Object.entries(SwiftPipeline.pipeline.afterStep ?? {}).map(([entity, work]) => [
      entity,
      async (context: Parameters<typeof work>[0]) => {
        const t0 = performance.now()
        await work(context)
        afterMs.set(entity, performance.now() - t0)
      }
    ]))
    let started = 0
    const observer = Layer.succeed(Rehearsal.Observer, {
      stepStarted: () => Effect.sync(() => void (started = performance.now())),
      beforeCommit: () => Effect.void,
      batchCommitted: () => Effect.void,
      stepFinished: (event) => Effect.sync(() => void steps.push({ entity: event.entity, rows: event.counts.read, ms: performance.now() - started, afterMs: afterMs.get(event.entity) ?? 0 }))
    })
    const t0 = performance.now()
    yield* Rehearsal.run({ ...SwiftPipeline.pipeline, afterStep }, {
      rehearsal: "bench",
      targetSchema: "ias",
      batchSize: 5_000,
      resume: false,
      parameters: { cutoverDate: SwiftPipeline.defaultCutoverDate }
    }).pipe(Effect.provide(observer))
    return { steps, ms: performance.now() - t0 }
  }).pipe(Effect.provide(Databases.layer({ legacy: legacyUrl, target: targetUrl })))

const diff = (legacyUrl: string, legacyTable: string, targetUrl: string, targetTable: string) =>
  Effect.gen(function*() {
    const legacy = yield* Database.openUrl(legacyUrl)
    const target = yield* Database.openUrl(targetUrl)
    const table = LegacyTables.all.find((t) => t.name === legacyTable)!
    const [schema, name] = targetTable.split(".") as [string, string]
    const t0 = performance.now()
    let findings = 0
    const summary = yield* TableDiff.run(
      { legacy: { database: legacy, table }, target: { database: target, table: { ...Table.inSchema(table, schema), name } } },
      (batch) => Effect.sync(() => void (findings += batch.length))
    )
    return { summary, findings, ms: performance.now() - t0 }
  })

const program = mode === "migrate"
  ? migrate(args[0]!, args[1]!)
  : mode === "diff"
  ? diff(args[0]!, args[1]!, args[2]!, args[3]!)
  : Effect.die(new Error(`unknown mode ${mode}`))

Effect.runPromise(Effect.scoped(program as Effect.Effect<unknown, unknown, never>)).then(
  (result) => {
    process.stdout.write(JSON.stringify({ ...(result as object), maxRssMb: process.resourceUsage().maxRSS / 1024 }) + "\n")
    process.exit(0)
  },
  (error) => {
    process.stderr.write(`${error instanceof Error ? error.message : JSON.stringify(error)}\n`)
    process.exit(2)
  }
)
