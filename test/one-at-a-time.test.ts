/**
 * One command at a time on a target, through the real command in child processes.
 *
 * Pairs of commands are started against one target so that they overlap: a long one (`migrate` or `rehearse`, small
 * batches) and, once it holds the target and a random few milliseconds later, a command of any kind (`migrate`,
 * `rehearse`, `reconcile`, `report`, `runs`, `triage`, `purge`, and on PGlite `fixtures generate` into the same
 * folder); or two long ones a random few milliseconds apart, racing for the hold. Exactly one proceeds and exits 0; the
 * other exits 2 with one line naming the holder (its command and pid); the target afterwards equals one uninterrupted
 * run's, and the next command works. Then a holder killed with SIGKILL: the next command takes its hold over at once
 * (on PGlite it says so) and resumes the run to the same target.
 *
 * One database holds the legacy estate and the target (one URL for both, as the command allows), copied afresh for
 * each pair from one with a completed run in it: a PGlite folder copied, a PostgreSQL database made from a template.
 *
 * `HANDOVER_HOLD_PAIRS` pairs per dialect (default 12: 24 in all); the pairs derive from `HANDOVER_HOLD_SEED`, else
 * `HANDOVER_SEED`, else a fixed seed, printed with the results.
 */
import { assert, describe, it } from "@effect/vitest"
import { SwiftPipeline } from "@handover/swift-to-ias"
import { Database } from "@handover/sql"
import { Seed, TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import pg from "pg"
import { randomBytes } from "node:crypto"
import { cp, mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { handover, loadSwiftEstate, type Running, start } from "./command.ts"
import { capture, differences, runs, type State } from "./targetState.ts"

const pairsPerDialect = Number(process.env.HANDOVER_HOLD_PAIRS ?? 12)
const seed = Seed.of("hold")
const clients = 120
const pipeline = SwiftPipeline.pipeline
const targetSchema = "ias"

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const long = ["migrate", "rehearse"] as const
const kinds = ["migrate", "rehearse", "reconcile", "report", "runs", "triage", "purge", "fixtures generate"] as const
type Kind = (typeof kinds)[number]

interface Pair {
  /** The long command, started first. */
  readonly first: (typeof long)[number]
  readonly second: Kind
  /** Started this long after the first holds the target; or, racing, this long after the first starts. */
  readonly offsetMs: number
  readonly racing: boolean
}

const pairs = (count: number, dialect: string): ReadonlyArray<Pair> =>
  count === 0 ? [] : fc.sample(
    // without bias: a sample's integers otherwise cluster at their smallest
    fc.noBias(fc.record({
      first: fc.constantFrom(...long),
      second: fc.constantFrom(...kinds.filter((k) => dialect === "pglite" || k !== "fixtures generate")),
      offsetMs: fc.integer({ min: 0, max: 800 }),
      // one pair in four races for the hold: started within a few milliseconds, either may win
      racing: fc.integer({ min: 0, max: 3 }).map((n) => n === 0)
    })).map((p): Pair => (p.racing ? { ...p, second: p.second === "migrate" ? "migrate" : "rehearse", offsetMs: p.offsetMs % 40 } : p)),
    { seed: seed + (dialect === "pglite" ? 1 : 0), numRuns: count }
  )

/** The arguments of a command of a kind against one database holding legacy and target. */
const argsOf = (kind: Kind, url: string, cwd: string, runId: string, n: number): ReadonlyArray<string> => {
  const both = ["--legacy", url, "--target", url]
  // batches small enough that a migration holds the target for several seconds after it has taken the hold, longer
  // than the second command takes to start even on a loaded machine: PostgreSQL migrates far faster than PGlite
  const batchSize = url.startsWith("pglite:") ? "10" : "1"
  switch (kind) {
    case "migrate":
      return ["migrate", ...both, "--rehearsal", "hold", "--batch-size", batchSize, "--progress", "none", "--json"]
    case "rehearse":
      return [
        "rehearse", ...both, "--rehearsal", "hold", "--batch-size", batchSize, "--progress", "none", "--json", "--gates", "report",
        "--reports", path.join(cwd, `reports-${n}`), "--manifest", path.join(cwd, "none.jsonl")
      ]
    case "reconcile":
      return ["reconcile", ...both, "--rehearsal", "hold"]
    case "report":
      return ["report", "--target", url, "--rehearsal", "hold", "--reports", path.join(cwd, `reports-${n}`), "--manifest", path.join(cwd, "none.jsonl")]
    case "runs":
      return ["runs", "--target", url]
    case "triage":
      return ["triage", "--target", url, "--finding", "0123456789abcdef0123456789abcdef", "--decision", "accepted", "--reason", "known"]
    case "purge":
      return ["purge", "--target", url, "--run", runId]
    case "fixtures generate":
      return ["fixtures", "generate", "--legacy", url, "--clients", "10", "--manifest", path.join(cwd, `manifest-${n}.jsonl`)]
  }
}

interface Dialect {
  readonly name: "pglite" | "postgres"
  /** A copy of the prepared database (estate and one completed run) for one pair. */
  readonly copy: () => Promise<{ readonly url: string; readonly release: () => Promise<void> }>
  /** Whether the process with this pid holds the database of the URL. */
  readonly heldBy: (url: string, pid: number) => Promise<boolean>
}

const inspect = <A>(url: string, f: (db: Database.Database) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(Database.openUrl(url), f)))

/** The latest completed run's state, and every run's status. */
const stateOf = (url: string) =>
  inspect(url, (db) =>
    Effect.gen(function*() {
      const all = yield* runs(db, pipeline.name)
      const latest = all.filter((r) => r.status === "completed").at(-1)!
      return { state: yield* capture(db, pipeline, targetSchema, latest.runId), runs: all }
    }))

const oneLine = (text: string) => text.trim().split("\n").filter((l) => l.trim() !== "")

const waitUntil = async (what: string, check: () => Promise<boolean>, running: Running, ms = 60_000) => {
  const deadline = Date.now() + ms
  let ended = false
  void running.done.then(() => (ended = true))
  while (!(await check())) {
    if (ended) {
      const outcome = await running.done
      assert.fail(`the command ended (exit ${outcome.code}) before ${what}:\n${outcome.stderr.slice(-600)}`)
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`)
    await sleep(20)
  }
}

const runPairs = async (dialect: Dialect, prepared: { readonly expected: State; readonly runId: string; readonly runs: number }) => {
  const cwd = await mkdtemp(path.join(tmpdir(), "handover-hold-"))
  const started = Date.now()
  const tally = { pairs: 0, racing: 0, firstWon: 0, secondWon: 0, byKind: {} as Record<string, number> }
  try {
    for (const [n, pair] of pairs(pairsPerDialect, dialect.name).entries()) {
      const context = (more: string) => `${dialect.name} pair ${n} ${JSON.stringify(pair)} (HANDOVER_HOLD_SEED=${seed}): ${more}`
      const db = await dialect.copy()
      try {
        const a = start(argsOf(pair.first, db.url, cwd, prepared.runId, 2 * n), cwd)
        if (pair.racing) await sleep(pair.offsetMs)
        else {
          await waitUntil("the first command holds the target", () => dialect.heldBy(db.url, a.child.pid!), a)
          await sleep(pair.offsetMs)
        }
        const b = start(argsOf(pair.second, db.url, cwd, prepared.runId, 2 * n + 1), cwd)
        const [first, second] = await Promise.all([a.done, b.done])
        const outcomes = [{ o: first, pid: a.child.pid!, kind: pair.first }, { o: second, pid: b.child.pid!, kind: pair.second }]
        const winners = outcomes.filter((x) => x.o.code === 0)
        const losers = outcomes.filter((x) => x.o.code !== 0)
        assert.strictEqual(
          winners.length,
          1,
          context(`exactly one proceeds; exits ${first.code} and ${second.code}:\n${first.stderr.slice(-400)}\n---\n${second.stderr.slice(-400)}`)
        )
        const [winner, loser] = [winners[0]!, losers[0]!]
        if (!pair.racing) assert.strictEqual(winner.pid, a.child.pid, context("the first command, which held the target, proceeds"))
        assert.strictEqual(loser.o.code, 2, context(`the other exits 2:\n${loser.o.stderr}`))
        const lines = oneLine(loser.o.stderr)
        assert.strictEqual(lines.length, 1, context(`one line:\n${loser.o.stderr}`))
        assert.match(
          lines[0]!,
          new RegExp(`^handover: .* is in use by handover ${winner.kind} \\(pid ${winner.pid} on .*, since \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\\); wait for it to finish, or run again with --wait SECONDS$`),
          context("the holder named")
        )
        const after = await stateOf(db.url)
        assert.deepStrictEqual(differences(prepared.expected, after.state), [], context("the target equals one uninterrupted run's"))
        assert.strictEqual(after.runs.length, prepared.runs + 1, context("one run more than before, not two"))
        assert.isTrue(after.runs.every((r) => r.status === "completed"), context(`every run completed: ${JSON.stringify(after.runs)}`))
        const next = await handover(["runs", "--target", db.url], cwd)
        assert.strictEqual(next.code, 0, context(`the next command works:\n${next.stderr}`))
        tally.pairs++
        if (pair.racing) tally.racing++
        if (winner.pid === a.child.pid) tally.firstWon++
        else tally.secondWon++
        tally.byKind[pair.second] = (tally.byKind[pair.second] ?? 0) + 1
      } finally {
        await db.release()
      }
    }
    console.log(
      `one command at a time on ${dialect.name}: ${tally.pairs} pairs overlapped (${tally.racing} racing for the hold; first won ${tally.firstWon}, ` +
        `second won ${tally.secondWon}), second commands ${JSON.stringify(tally.byKind)}, exactly one proceeded every time, ` +
        `rows lost or duplicated 0, ${Math.round((Date.now() - started) / 1000)} s (seed ${seed})`
    )
    assert.strictEqual(tally.pairs, pairsPerDialect)
  } finally {
    await rm(cwd, { recursive: true, force: true })
  }
}

/** A holder killed with SIGKILL: the next command takes its hold and resumes the run to the same target. */
const deadHolder = async (dialect: Dialect, prepared: { readonly expected: State; readonly runId: string; readonly runs: number }) => {
  const cwd = await mkdtemp(path.join(tmpdir(), "handover-hold-dead-"))
  const db = await dialect.copy()
  try {
    const a = start(argsOf("migrate", db.url, cwd, prepared.runId, 0), cwd)
    await waitUntil("the command holds the target", () => dialect.heldBy(db.url, a.child.pid!), a)
    await sleep(1500)
    a.child.kill("SIGKILL")
    await a.done
    const next = await handover(argsOf("migrate", db.url, cwd, prepared.runId, 1), cwd)
    assert.strictEqual(next.code, 0, `the next command proceeds:\n${next.stderr}`)
    if (dialect.name === "pglite") {
      assert.match(next.stderr, new RegExp(`took over the hold of handover migrate \\(pid ${a.child.pid} on .*\\), which is no longer running`))
    }
    const result = JSON.parse(next.stdout) as { resumed: boolean }
    const after = await stateOf(db.url)
    assert.deepStrictEqual(differences(prepared.expected, after.state), [], "the target equals one uninterrupted run's")
    assert.isTrue(result.resumed || after.runs.length === prepared.runs + 1, "the killed run was resumed")
  } finally {
    await db.release()
    await rm(cwd, { recursive: true, force: true })
  }
}

/** Loads the estate and migrates it once: the state every pair must end with. */
const prepare = async (url: string, cwd: string) => {
  await loadSwiftEstate(url, { seed: 47, clients })
  const first = await handover(argsOf("migrate", url, cwd, "", 0), cwd)
  assert.strictEqual(first.code, 0, first.stderr)
  const reconciled = await handover(argsOf("reconcile", url, cwd, "", 0), cwd)
  assert.strictEqual(reconciled.code, 0, reconciled.stderr)
  const { runId } = JSON.parse(first.stdout) as { runId: string }
  const { state, runs } = await stateOf(url)
  return { expected: state, runId, runs: runs.length }
}

const timeout = 900_000

describe.skipIf(!TestDatabase.dialects().includes("pglite"))("one command at a time, on pglite", () => {
  it("lets exactly one of two overlapping commands proceed, and a dead holder's hold be taken over", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "handover-hold-pglite-"))
    try {
      const base = path.join(folder, "base")
      const prepared = await prepare(`pglite://${base}`, folder)
      let n = 0
      const dialect: Dialect = {
        name: "pglite",
        copy: async () => {
          const dir = path.join(folder, `pair-${n++}`)
          await cp(base, dir, { recursive: true })
          return { url: `pglite://${dir}`, release: () => rm(dir, { recursive: true, force: true }) }
        },
        heldBy: async (url, pid) => {
          try {
            const record = JSON.parse(await readFile(`${url.slice("pglite://".length)}.lock/holder.json`, "utf8")) as { pid: number }
            return record.pid === pid
          } catch {
            return false
          }
        }
      }
      await runPairs(dialect, prepared)
      await deadHolder(dialect, prepared)
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  }, timeout)
})

describe.skipIf(!TestDatabase.dialects().includes("postgres"))("one command at a time, on postgres", () => {
  it("lets exactly one of two overlapping commands proceed, and a dead holder's hold be taken over", async () => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const base = yield* TestDatabase.freshPostgres
      const folder = yield* Effect.promise(() => mkdtemp(path.join(tmpdir(), "handover-hold-postgres-")))
      yield* Effect.addFinalizer(() => Effect.promise(() => rm(folder, { recursive: true, force: true })))
      const prepared = yield* Effect.promise(() => prepare(base.url, folder))
      const admin = async (sql: string) => {
        const client = new pg.Client({ connectionString: TestDatabase.postgresAdminUrl() })
        await client.connect()
        try {
          await client.query(sql)
        } finally {
          await client.end()
        }
      }
      const dialect: Dialect = {
        name: "postgres",
        copy: async () => {
          const name = `handover_hold_${randomBytes(6).toString("hex")}`
          await admin(`CREATE DATABASE ${name} TEMPLATE ${base.name}`)
          const url = new URL(TestDatabase.postgresAdminUrl())
          url.pathname = `/${name}`
          return { url: url.href, release: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
        },
        heldBy: async (url, pid) => {
          const client = new pg.Client({ connectionString: url })
          await client.connect()
          try {
            const rows = await client.query(
              "SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE $1",
              [`handover % ${pid}@%`]
            )
            return rows.rowCount === 1
          } finally {
            await client.end()
          }
        }
      }
      yield* Effect.promise(() => runPairs(dialect, prepared))
      yield* Effect.promise(() => deadHolder(dialect, prepared))
    })))
  }, timeout)
})
