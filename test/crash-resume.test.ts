/**
 * A migration killed with SIGKILL at random points and resumed, through the real command in a child process
 * (`handover migrate`, a small SWIFT estate, small batches). Each trial kills the command once or twice — after a
 * number of committed batches drawn at random, plus a random few milliseconds so that the kill lands anywhere in the
 * next batch: reading, mapping, writing, committing, or the work that closes an entity; or, one time in ten, while the
 * command starts (connecting, preparing the target, starting the run) — and then runs it again to the end. Every trial must end with the command's own conservation law holding (it exits 1 otherwise), the law recounted
 * here from the databases, no target row twice, one run resumed rather than a second one started, and a target and
 * control schema identical to an uninterrupted run's.
 *
 * On PGlite one embedded database holds both the legacy estate and the target, as the command allows when `--legacy`
 * and `--target` are the same URL.
 *
 * `HANDOVER_CRASH_TRIALS_POSTGRES` (default 20) and `HANDOVER_CRASH_TRIALS_PGLITE` (default 3) trials, run
 * `HANDOVER_CRASH_WORKERS` at a time on PostgreSQL (default 2; PGlite trials one at a time); `HANDOVER_CRASH_SEED`
 * repeats a choice of kill points (it is printed on failure).
 */
import { assert, describe, it } from "@effect/vitest"
import { SwiftPipeline } from "@handover/swift-to-ias"
import { Database } from "@handover/sql"
import { Seed, TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { cp, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { loadSwiftEstate, start } from "./command.ts"
import { capture, conservationBreaches, differences, runs, type State } from "./targetState.ts"

const trialsOn = {
  postgres: Number(process.env.HANDOVER_CRASH_TRIALS_POSTGRES ?? 20),
  pglite: Number(process.env.HANDOVER_CRASH_TRIALS_PGLITE ?? 3)
}
const workersOn = { postgres: Math.max(1, Number(process.env.HANDOVER_CRASH_WORKERS ?? 2)), pglite: 1 }
const seed = Seed.of("crash")
const clients = 150
const batchSize = 40
const pipeline = SwiftPipeline.pipeline
const targetSchema = "ias"


type Kill =
  | {
    /** Kill once this many batches have committed in this process… */
    readonly afterBatches: number
    /** …and this many milliseconds more. */
    readonly delayMs: number
  }
  | {
    /** Kill this many milliseconds after the start, before the first entity has begun: opening, preparing, starting the run. */
    readonly sinceStartMs: number
  }

interface Outcome {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** Batches this process reported committed. */
  readonly committed: number
  /** Milliseconds from the start to the first entity's first line. */
  readonly firstEntityMs: number | undefined
}

/** Runs `handover migrate` in a child process; with a kill, SIGKILLs it at that point. */
const migrate = (legacyUrl: string, targetUrl: string, cwd: string, kill?: Kill): Promise<Outcome> => {
  let committed = 0
  let started = false
  let armed = false
  let firstEntityMs: number | undefined
  const spawned = Date.now()
  const arm = () => {
    if (kill === undefined || "sinceStartMs" in kill || armed) return
    if (committed >= kill.afterBatches && (started || kill.afterBatches > 0)) {
      armed = true
      setTimeout(() => running.child.kill("SIGKILL"), kill.delayMs)
    }
  }
  const running = start(
    ["migrate", "--legacy", legacyUrl, "--target", targetUrl, "--rehearsal", "crash", "--batch-size", String(batchSize), "--progress", "batches", "--json"],
    cwd,
    (line) => {
      if (/: batch \d+ committed, /.test(line)) committed++
      else if (/: [\d,]+ legacy rows/.test(line)) {
        started = true
        firstEntityMs ??= Date.now() - spawned
      }
      arm()
    }
  )
  if (kill !== undefined && "sinceStartMs" in kill) setTimeout(() => running.child.kill("SIGKILL"), kill.sinceStartMs)
  return running.done.then((o) => ({ code: o.code, signal: o.signal, stdout: o.stdout, stderr: o.stderr, committed, firstEntityMs }))
}

const tail = (text: string) => text.split("\n").slice(-8).join("\n")

interface Plan {
  /** Where each kill falls, as a fraction of the batches still to commit, and its extra milliseconds. */
  readonly kills: ReadonlyArray<{ readonly at: number; readonly delayMs: number }>
}

const plans = (count: number, planSeed: number): ReadonlyArray<Plan> =>
  count === 0 ? [] : fc.sample(
    fc.record({
      // without bias: fc.sample's doubles cluster at 0, which put nearly every kill in the command's start
      kills: fc.array(fc.record({ at: fc.noBias(fc.integer({ min: 0, max: 999_999 })).map((n) => n / 1_000_000), delayMs: fc.noBias(fc.integer({ min: 0, max: 30 })) }), {
        minLength: 1,
        maxLength: 2
      })
    }),
    { seed: planSeed, numRuns: count }
  )

interface Dialect {
  readonly name: "postgres" | "pglite"
  /** A legacy estate and a fresh, empty target for one trial; disposed of by `release`. */
  readonly freshTarget: (worker: number) => Promise<{ readonly legacyUrl: string; readonly url: string; readonly release: () => Promise<void> }>
  /** Opens the legacy and target databases in this process (after the command has ended). */
  readonly inspect: <A>(legacyUrl: string, targetUrl: string, f: (legacy: Database.Database, target: Database.Database) => Effect.Effect<A, unknown>) => Promise<A>
}

interface Trial {
  readonly index: number
  readonly plan: Plan
  readonly kills: number
  readonly runs: number
  readonly ms: number
}

/** Runs one trial: the kills of its plan, then the command to the end; checks the result against the uninterrupted one. */
const runTrial = async (
  dialect: Dialect,
  cwd: string,
  expected: State,
  totalBatches: number,
  startupMs: number,
  index: number,
  plan: Plan,
  worker: number
): Promise<Trial> => {
  const target = await dialect.freshTarget(worker)
  const started = Date.now()
  const context = (more: string) =>
    `${dialect.name} trial ${index} of seed ${seed} (HANDOVER_CRASH_SEED=${seed}), kills ${JSON.stringify(plan.kills)}, ${totalBatches} batches: ${more}`
  try {
    let committed = 0
    let kills = 0
    for (const k of plan.kills) {
      // leave a few batches to go, so the kill lands before the run ends
      const left = totalBatches - committed - 3
      if (left < 1) break
      // one kill in ten lands while the command starts: connecting, preparing the target, starting the run
      const kill: Kill = k.at < 0.1
        ? { sinceStartMs: Math.round(startupMs * (0.7 + 3 * k.at)) }
        : { afterBatches: Math.floor(((k.at - 0.1) / 0.9) * left), delayMs: k.delayMs }
      const outcome = await migrate(target.legacyUrl, target.url, cwd, kill)
      assert.strictEqual(outcome.signal, "SIGKILL", context(`the command was to be killed at ${JSON.stringify(kill)}; it exited ${outcome.code}:\n${tail(outcome.stderr)}`))
      committed += outcome.committed
      kills++
    }
    const last = await migrate(target.legacyUrl, target.url, cwd)
    assert.strictEqual(last.code, 0, context(`the resumed command exited ${last.code} (${last.signal}):\n${tail(last.stderr)}`))
    const result = JSON.parse(last.stdout) as { runId: string; resumed: boolean }
    // a kill after the first committed batch leaves a run to resume: it must be resumed, not started again
    if (kills > 0 && committed > 0) assert.isTrue(result.resumed, context("the run was started again instead of resumed"))
    const { actual, breaches, allRuns } = await dialect.inspect(target.legacyUrl, target.url, (legacy, targetDb) =>
      Effect.gen(function*() {
        return {
          actual: yield* capture(targetDb, pipeline, targetSchema, result.runId),
          breaches: yield* conservationBreaches(legacy, targetDb, pipeline, result.runId, undefined),
          allRuns: yield* runs(targetDb, pipeline.name)
        }
      }))
    assert.deepStrictEqual(breaches, [], context("the conservation law, recounted"))
    assert.deepStrictEqual(allRuns.map((r) => r.status), ["completed"], context("one run, completed"))
    for (const [table, state] of Object.entries(actual)) assert.strictEqual(state.duplicateKeys, 0, context(`${table} holds a key twice`))
    assert.deepStrictEqual(differences(expected, actual), [], context("the target differs from the uninterrupted run's"))
    return { index, plan, kills, runs: kills + 1, ms: Date.now() - started }
  } finally {
    await target.release()
  }
}

/** Runs every trial, a few at a time. */
const runTrials = async (dialect: Dialect, count: number, workers: number) => {
  const cwd = await mkdtemp(path.join(tmpdir(), "handover-crash-"))
  try {
    const started = Date.now()
    const baselineTarget = await dialect.freshTarget(0)
    let expected: State
    let totalBatches: number
    let startupMs: number
    try {
      const baseline = await migrate(baselineTarget.legacyUrl, baselineTarget.url, cwd)
      assert.strictEqual(baseline.code, 0, `the uninterrupted run exited ${baseline.code}:\n${tail(baseline.stderr)}`)
      const { runId } = JSON.parse(baseline.stdout) as { runId: string }
      expected = await dialect.inspect(baselineTarget.legacyUrl, baselineTarget.url, (_, target) => capture(target, pipeline, targetSchema, runId))
      totalBatches = baseline.committed
      startupMs = baseline.firstEntityMs ?? 1000
    } finally {
      await baselineTarget.release()
    }
    assert.isAbove(totalBatches, 50, "the estate has many batches")
    const queue = plans(count, seed).map((plan, index) => ({ plan, index }))
    const done: Array<Trial> = []
    await Promise.all(Array.from({ length: Math.min(workers, count) }, async (_, worker) => {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        done.push(await runTrial(dialect, cwd, expected, totalBatches, startupMs, next.index, next.plan, worker))
      }
    }))
    const kills = done.reduce((n, t) => n + t.kills, 0)
    console.log(
      `crash trials on ${dialect.name}: ${done.length} of ${count} survived, ${kills} kills, ${totalBatches} batches a run, ` +
        `${Math.round((Date.now() - started) / 1000)} s (seed ${seed})`
    )
    assert.strictEqual(done.length, count)
  } finally {
    await rm(cwd, { recursive: true, force: true })
  }
}

const loadEstate = (url: string) => loadSwiftEstate(url, { seed: 31, clients })

/** Opens the legacy and target databases in this process (once, when they are one database). */
const inspect = <A>(legacyUrl: string, targetUrl: string, f: (legacy: Database.Database, target: Database.Database) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const legacy = yield* Database.openUrl(legacyUrl)
    const target = targetUrl === legacyUrl ? legacy : yield* Database.openUrl(targetUrl)
    return yield* f(legacy, target)
  })))

const timeout = 600_000

describe.skipIf(!TestDatabase.dialects().includes("postgres") || trialsOn.postgres === 0)("a migration killed and resumed, on postgres", () => {
  it("ends every time with the conservation law holding and the uninterrupted target", async () => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const legacy = yield* TestDatabase.freshPostgres
      const targets = [yield* TestDatabase.freshPostgres, ...(workersOn.postgres > 1 ? [yield* TestDatabase.freshPostgres] : [])]
      yield* Effect.promise(() => loadEstate(legacy.url))
      const dialect: Dialect = {
        name: "postgres",
        freshTarget: async (worker) => {
          const target = targets[worker % targets.length]!
          // the worker's own database, emptied of what the last trial left
          await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
            const db = yield* Database.openUrl(target.url)
            yield* TestDatabase.resetSchemas(db, [targetSchema, "handover"])
          })))
          return { legacyUrl: legacy.url, url: target.url, release: async () => {} }
        },
        inspect
      }
      yield* Effect.promise(() => runTrials(dialect, trialsOn.postgres, workersOn.postgres))
    })))
  }, timeout)
})

describe.skipIf(!TestDatabase.dialects().includes("pglite") || trialsOn.pglite === 0)("a migration killed and resumed, on pglite", () => {
  it("ends every time with the conservation law holding and the uninterrupted target", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "handover-crash-pglite-"))
    try {
      // one embedded database serves as legacy and target (one URL for both, as the command allows), copied afresh
      // for each trial from one with the estate in it
      const estate = `${folder}/estate`
      await loadEstate(`pglite://${estate}`)
      let n = 0
      const dialect: Dialect = {
        name: "pglite",
        freshTarget: async () => {
          const dir = `${folder}/trial-${n++}`
          await cp(estate, dir, { recursive: true })
          return { legacyUrl: `pglite://${dir}`, url: `pglite://${dir}`, release: () => rm(dir, { recursive: true, force: true }) }
        },
        inspect
      }
      await runTrials(dialect, trialsOn.pglite, workersOn.pglite)
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  }, timeout)
})
