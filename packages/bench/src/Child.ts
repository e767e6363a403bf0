/**
 * One measured piece of the benchmark in a process of its own, so that its peak memory (`maxRSS`) is its own:
 * `migrate LEGACY_URL TARGET_URL` runs a whole rehearsal of the SWIFT migration and times each entity step, with the
 * CPU this process used for it and, apart, the CPU of the database server processes working for the two databases;
 * `diff LEGACY_URL TABLE TARGET_URL SCHEMA.TABLE` runs the table diff. Prints one JSON object.
 */
import { Databases, Rehearsal } from "@handover/core"
import { TableDiff } from "@handover/reconcile"
import { Database, Table } from "@handover/sql"
import { LegacyTables, SwiftPipeline } from "@handover/swift-to-ias"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Proc from "./Proc.ts"

const [mode, ...args] = process.argv.slice(2)

/** Microseconds of user and system CPU in a `process.cpuUsage()` difference. */
const micros = (usage: NodeJS.CpuUsage) => usage.user + usage.system

const databaseOf = (url: string) => decodeURIComponent(new URL(url).pathname.slice(1))

export interface Step {
  readonly entity: string
  readonly rows: number
  readonly ms: number
  readonly afterMs: number
  /** CPU of this process during the step (the work after it included), less the sampling of the server's CPU. */
  readonly cpuUs: number
  readonly afterCpuUs: number
  /** CPU of the server processes working for the legacy and target databases during the step; null without `/proc`. */
  readonly serverCpuUs: number | null
}

const migrate = (legacyUrl: string, targetUrl: string) =>
  Effect.gen(function*() {
    const steps: Array<Step> = []
    // the work after a step (likely duplicates, carer links) is timed apart from the load itself
    const after = new Map<string, { ms: number; cpuUs: number }>()
    const afterStep = Object.fromEntries(Object.entries(SwiftPipeline.pipeline.afterStep ?? {}).map(([entity, work]) => [
      entity,
      async (context: Parameters<typeof work>[0]) => {
        const t0 = performance.now()
        const c0 = process.cpuUsage()
        await work(context)
        after.set(entity, { ms: performance.now() - t0, cpuUs: micros(process.cpuUsage(c0)) })
      }
    ]))
    // the server's CPU, sampled every second and at each step's start and end; what the sampling costs this process
    // is taken off each step
    const server = Proc.serverCpu([databaseOf(legacyUrl), databaseOf(targetUrl)])
    let samplingUs = 0
    const sample = () => {
      const c0 = process.cpuUsage()
      server.sample()
      samplingUs += micros(process.cpuUsage(c0))
    }
    const sampler = setInterval(sample, 1_000)
    yield* Effect.addFinalizer(() => Effect.sync(() => clearInterval(sampler)))
    let started = { ms: 0, cpu: process.cpuUsage(), samplingUs: 0, serverSeconds: null as number | null }
    const observer = Layer.succeed(Rehearsal.Observer, {
      stepStarted: () =>
        Effect.sync(() => {
          sample()
          started = { ms: performance.now(), cpu: process.cpuUsage(), samplingUs, serverSeconds: server.seconds() }
        }),
      beforeCommit: () => Effect.void,
      batchCommitted: () => Effect.void,
      stepFinished: (event) =>
        Effect.sync(() => {
          const ms = performance.now() - started.ms
          const cpuUs = micros(process.cpuUsage(started.cpu)) - (samplingUs - started.samplingUs)
          sample()
          const serverSeconds = server.seconds()
          steps.push({
            entity: event.entity,
            rows: event.counts.read,
            ms,
            afterMs: after.get(event.entity)?.ms ?? 0,
            cpuUs,
            afterCpuUs: after.get(event.entity)?.cpuUs ?? 0,
            serverCpuUs: serverSeconds === null || started.serverSeconds === null ? null : (serverSeconds - started.serverSeconds) * 1e6
          })
        })
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
