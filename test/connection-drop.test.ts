/**
 * A dropped connection in the middle of a batch, on the PostgreSQL server: the backend that carries a batch's
 * transaction is terminated from another connection just before the batch commits (inside the Observer's
 * `beforeCommit`, on the first attempt only), at batches chosen at random from a seed. Each such batch must be rolled
 * back, retried once after a wait, and committed once; the run must go on to a complete load that keeps the
 * conservation law and leaves exactly the target an uninterrupted run leaves.
 *
 * `HANDOVER_DROP_COUNT` batches are dropped (default 5); `HANDOVER_DROP_SEED` fixes the choice (printed on failure).
 * PGlite runs in the process and has no connection to drop, so this runs on PostgreSQL only.
 */
import { assert, describe, it } from "@effect/vitest"
import { Databases, Rehearsal } from "@handover/core"
import { SwiftDefects, SwiftEstate } from "@handover/fixtures"
import { SwiftPipeline } from "@handover/swift-to-ias"
import { Database } from "@handover/sql"
import { Seed, TestDatabase } from "@handover/testkit"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import fc from "fast-check"
import { capture, conservationBreaches, differences, runs } from "./targetState.ts"

const drops = Number(process.env.HANDOVER_DROP_COUNT ?? 5)
const seed = Seed.of("drop")
const pipeline = SwiftPipeline.pipeline
const targetSchema = "ias"
const options = (rehearsal: string): Rehearsal.Options => ({
  rehearsal,
  targetSchema,
  batchSize: 40,
  parameters: { cutoverDate: SwiftPipeline.defaultCutoverDate }
})

/** Hears every batch: counts the attempts to commit each and the commits, and drops the chosen ones once. */
const dropping = (chosen: ReadonlySet<number>, terminate: () => Promise<number>) => {
  const attempts = new Map<string, number>()
  const committed: Array<string> = []
  const dropped: Array<string> = []
  const order: Array<string> = []
  const observer: Rehearsal.ObserverShape = {
    stepStarted: () => Effect.void,
    stepFinished: () => Effect.void,
    beforeCommit: (event) =>
      Effect.promise(async () => {
        const batch = `${event.entity} batch ${event.batch}`
        const attempt = (attempts.get(batch) ?? 0) + 1
        attempts.set(batch, attempt)
        if (attempt === 1) order.push(batch)
        if (attempt === 1 && chosen.has(order.length)) {
          const terminated = await terminate()
          assert.strictEqual(terminated, 1, `one connection holds ${batch} open`)
          dropped.push(batch)
        }
      }),
    batchCommitted: (event) => Effect.sync(() => void committed.push(`${event.entity} batch ${event.batch}`))
  }
  return { observer, attempts, committed, dropped }
}

describe.skipIf(!TestDatabase.dialects().includes("postgres"))("a connection dropped in the middle of a batch, on postgres", () => {
  it.live("the batch is retried once and committed once, and the load is the uninterrupted one", () =>
    Effect.gen(function*() {
      const legacyUrl = (yield* TestDatabase.freshPostgres).url
      const target = yield* TestDatabase.freshPostgres
      const legacy = yield* Database.openUrl(legacyUrl)
      const targetDb = yield* Database.openUrl(target.url)
      const databases = Layer.succeedContext(Context.make(Databases.LegacyDatabase, legacy).pipe(Context.add(Databases.TargetDatabase, targetDb)))
      yield* SwiftEstate.load(legacy, undefined, { seed: 23, clients: 120, rates: SwiftDefects.rates({}) })

      const uninterrupted = yield* Rehearsal.run(pipeline, options("uninterrupted")).pipe(Effect.provide(databases))
      const expected = yield* capture(targetDb, pipeline, targetSchema, uninterrupted.runId)
      const batches = yield* targetDb.use("count batches", async (d) =>
        Number((await d.queryText("SELECT SUM(batches) FROM handover.entity_step WHERE run_id = $1", [uninterrupted.runId]))[0]![0]))
      assert.isAbove(batches, drops * 2, "enough batches to drop some")

      // the batches to drop, by their place in the run
      const chosen = new Set(fc.sample(fc.uniqueArray(fc.integer({ min: 1, max: batches }), { minLength: drops, maxLength: drops }), { seed, numRuns: 1 })[0]!)
      const admin = yield* Database.openUrl(target.url)
      // the batch's backend is the one idle inside a transaction: its statements are sent, its COMMIT not yet
      const terminate = async () =>
        (await admin.driver.query(
          "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()"
        )).length
      const hook = dropping(chosen, terminate)
      const warnings: Array<string> = []
      const logger = Logger.make(({ logLevel, message }) => {
        if (logLevel === "Warn") warnings.push((Array.isArray(message) ? message : [message]).join(" "))
      })
      const started = Date.now()
      const result = yield* Rehearsal.run(pipeline, options("dropped")).pipe(
        Effect.provide(databases),
        Effect.provideService(Rehearsal.Observer, hook.observer),
        Effect.provide(Logger.layer([logger]))
      )
      const elapsed = Date.now() - started
      const context = `seed ${seed} (HANDOVER_DROP_SEED), dropped ${JSON.stringify(hook.dropped)}`

      // every chosen batch was dropped once, retried once, committed once; every batch committed exactly once
      assert.strictEqual(hook.dropped.length, drops, context)
      const retries = warnings.filter((w) => / is tried again in \d+ ms \(attempt 2 of 5\)/.test(w))
      assert.strictEqual(retries.length, drops, `${context}: ${JSON.stringify(warnings)}`)
      assert.strictEqual(warnings.length, drops, `${context}: ${JSON.stringify(warnings)}`)
      for (const batch of hook.dropped) {
        assert.strictEqual(hook.attempts.get(batch), 2, `${batch}: ${context}`)
        assert.strictEqual(retries.filter((w) => w.includes(`load ${batch} is tried again`)).length, 1, `${batch}: ${context}`)
      }
      assert.strictEqual(hook.committed.length, batches, context)
      assert.strictEqual(new Set(hook.committed).size, batches, context)
      for (const [batch, n] of hook.attempts) if (!hook.dropped.includes(batch)) assert.strictEqual(n, 1, `${batch}: ${context}`)

      // a complete, conserved load, exactly the uninterrupted one
      assert.deepStrictEqual(result.steps, uninterrupted.steps, context)
      assert.deepStrictEqual(yield* conservationBreaches(legacy, targetDb, pipeline, result.runId, undefined), [], context)
      const actual = yield* capture(targetDb, pipeline, targetSchema, result.runId)
      assert.deepStrictEqual(differences(expected, actual), [], context)
      for (const [table, state] of Object.entries(actual)) assert.strictEqual(state.duplicateKeys, 0, `${table}: ${context}`)
      const [run] = (yield* runs(targetDb, pipeline.name)).filter((r) => r.runId === result.runId)
      assert.strictEqual(run?.status, "completed")
      console.log(`connection drops: ${hook.dropped.length} of ${batches} batches dropped, ${retries.length} retried, run took ${elapsed} ms (seed ${seed})`)
    }).pipe(Effect.scoped), { timeout: 180_000 })
})
