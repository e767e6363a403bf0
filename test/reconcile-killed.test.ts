/**
 * A reconciliation killed with SIGKILL at a random moment and run again records exactly what one uninterrupted
 * reconciliation records, through the real command in a child process (`handover reconcile`, a small SWIFT estate).
 *
 * The estate is migrated and reconciled (run 1), then migrated again (run 2, which replaces run 1's load): run 2 is
 * migrated and not yet reconciled, with run 1's findings to be compared against. That state is saved, and every
 * trial starts from a copy of it. The reference reconciles a copy without interruption. Each trial kills
 * `handover reconcile` after a delay drawn at random over an uninterrupted reconciliation's duration — most of them
 * near its end, where the checks end and the findings, figure lines and reconciliation row are written, the rest
 * anywhere from the start (connecting, reading) — and then runs it again to the end. Right after the kill run 2 must
 * be reconciled completely (its reconciliation row, findings and figure lines exactly the reference's) or not at all
 * (none of them); after the second reconciliation its findings (with their statuses against run 1), figure lines
 * and reconciliation row must be the reference's, one reconciliation row for run 2, and run 1's rows untouched.
 *
 * On PGlite one embedded database holds both the legacy estate and the target (one URL for both, as the command
 * allows), copied folder by folder; on PostgreSQL the target is copied with `CREATE DATABASE … TEMPLATE`.
 *
 * `HANDOVER_RECONCILE_KILLS` kills a dialect (default 10; a command that ends before its kill does not count, and
 * another delay is drawn, up to twice as many trials); `HANDOVER_RECONCILE_KILL_SEED` (else `HANDOVER_SEED`) repeats
 * a choice of delays; the seed is printed in the summary and in every failure.
 */
import { assert, describe, it } from "@effect/vitest"
import { ControlSchema, Database } from "@handover/sql"
import { Seed, TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { randomBytes } from "node:crypto"
import { cp, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { handover, handoverKilledAfter, loadSwiftEstate, type Outcome } from "./command.ts"

const kills = Math.max(1, Number(process.env.HANDOVER_RECONCILE_KILLS ?? 10))
const seed = Seed.of("reconcile_kill")
const clients = 150
const rehearsal = "killed"
const controlSchema = ControlSchema.defaultSchema

/** What the ledger holds for one run: every row of it in the control schema, as text, in key order. */
interface RunLedger {
  /** Findings without the run id. */
  readonly findings: ReadonlyArray<string>
  /** Figure lines without the run id. */
  readonly figures: ReadonlyArray<string>
  /** Reconciliation rows without the run id, and without the time of reconciliation unless asked for. */
  readonly reconciliations: ReadonlyArray<string>
}

/** The whole ledger: each run's rows, and how many rows each control table holds for each run. */
interface Ledger {
  readonly runs: Readonly<Record<string, RunLedger>>
  /** `table run_id` → rows, for every run with rows in the finding, figure or reconciliation table. */
  readonly rowsPerRun: Readonly<Record<string, number>>
}

const findingColumns =
  "fingerprint, check_id, entity, legacy_key, target_key, field, kind, severity, legacy_value, target_value, rule_id, explanation, message, status"
const figureColumns =
  "figure_id, dimension, dimension_value, measure, unit, source_value, excluded_value, explained_value, expected_value, target_value, variance, rows_behind"

/** Reads the ledger of the runs from the target, in this process (after the command has ended). */
const readLedger = (url: string, runs: ReadonlyArray<{ readonly runId: string; readonly withTimes: boolean }>) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const db = yield* Database.openUrl(url)
    return yield* db.use("read the ledger", async (d): Promise<Ledger> => {
      const t = ControlSchema.tables(controlSchema)
      const p = d.dialect.placeholder(1)
      const text = (rows: ReadonlyArray<ReadonlyArray<string | null>>) => rows.map((r) => JSON.stringify(r))
      const byRun: Record<string, RunLedger> = {}
      for (const { runId, withTimes } of runs) {
        byRun[runId] = {
          findings: text(await d.queryText(`SELECT ${findingColumns} FROM ${d.dialect.qualify(t.finding)} WHERE run_id = ${p} ORDER BY fingerprint`, [runId])),
          figures: text(
            await d.queryText(
              `SELECT ${figureColumns} FROM ${d.dialect.qualify(t.figure)} WHERE run_id = ${p} ORDER BY figure_id, dimension, dimension_value, measure`,
              [runId]
            )
          ),
          reconciliations: text(
            await d.queryText(
              `SELECT rehearsal, pipeline, previous_run_id, findings, summary${withTimes ? ", reconciled_at" : ""} FROM ${
                d.dialect.qualify(t.reconciliation)
              } WHERE run_id = ${p}`,
              [runId]
            )
          )
        }
      }
      const rowsPerRun: Record<string, number> = {}
      for (const table of [t.finding, t.figure, t.reconciliation]) {
        for (const [runId, n] of await d.queryText(`SELECT run_id, COUNT(*) FROM ${d.dialect.qualify(table)} GROUP BY run_id ORDER BY run_id`)) {
          rowsPerRun[`${table.name} ${runId}`] = Number(n)
        }
      }
      return { runs: byRun, rowsPerRun }
    })
  })))

/** How two lists of rows differ: rows of the expected list missing from the actual one, and rows beyond it. */
const rowDifference = (expected: ReadonlyArray<string>, actual: ReadonlyArray<string>) => {
  const left = new Map<string, number>()
  for (const row of expected) left.set(row, (left.get(row) ?? 0) + 1)
  const extra: Array<string> = []
  for (const row of actual) {
    const n = left.get(row) ?? 0
    if (n > 0) left.set(row, n - 1)
    else extra.push(row)
  }
  const lost = [...left].flatMap(([row, n]) => Array.from({ length: n }, () => row))
  return { lost, extra }
}

/** Every difference between a run's ledger and the expected one, in words; empty when they are the same. */
const ledgerDifferences = (expected: RunLedger, actual: RunLedger) => {
  const said: Array<string> = []
  let lost = 0
  let extra = 0
  for (const part of ["findings", "figures", "reconciliations"] as const) {
    const d = rowDifference(expected[part], actual[part])
    lost += d.lost.length
    extra += d.extra.length
    if (d.lost.length > 0) said.push(`${part}: ${d.lost.length} lost, e.g. ${d.lost.slice(0, 3).join(" ")}`)
    if (d.extra.length > 0) said.push(`${part}: ${d.extra.length} more than expected, e.g. ${d.extra.slice(0, 3).join(" ")}`)
  }
  return { said, lost, extra }
}

const tail = (o: Outcome) => `exit ${o.code} (${o.signal}) after ${o.ms} ms\n${o.stdout.split("\n").slice(-6).join("\n")}\n${o.stderr.split("\n").slice(-8).join("\n")}`

/**
 * Where each kill falls, as a fraction of an uninterrupted reconciliation's duration: three in ten anywhere from the
 * start (connecting, checking, reading), the rest between 82 % and 98 % of it, where the pipeline's checks end and
 * the findings, figure lines and reconciliation row are written.
 */
const killPoints = (count: number): ReadonlyArray<number> =>
  // uniform, without fast-check's leaning towards the ends of a range (a double between 0 and 1 is drawn close to 0)
  fc.sample(fc.noBias(fc.integer({ min: 0, max: 999_999 })), { seed, numRuns: count }).map((n) => {
    const u = n / 1_000_000
    return u < 0.3 ? u / 0.3 : 0.82 + 0.16 * ((u - 0.3) / 0.7)
  })

/** The middle of the durations seen so far, in milliseconds. */
const median = (durations: ReadonlyArray<number>) => [...durations].sort((a, b) => a - b)[Math.floor(durations.length / 2)]!

interface Copy {
  readonly legacyUrl: string
  readonly url: string
  readonly release: () => Promise<void>
}

interface Dialect {
  readonly name: "pglite" | "postgres"
  /** The database where run 1 and run 2 are migrated: the state every copy starts from. */
  readonly saved: { readonly legacyUrl: string; readonly url: string }
  /** A copy of the saved state (no command may have it open). */
  readonly copy: () => Promise<Copy>
}

const reconcileArgs = (c: { readonly legacyUrl: string; readonly url: string }) => ["reconcile", "--legacy", c.legacyUrl, "--target", c.url, "--rehearsal", rehearsal]

/** Runs `handover migrate` to the end; the run it migrated. */
const migrate = async (saved: Dialect["saved"], cwd: string, what: string): Promise<string> => {
  const o = await handover(["migrate", "--legacy", saved.legacyUrl, "--target", saved.url, "--rehearsal", rehearsal, "--json", "--progress", "none"], cwd)
  assert.strictEqual(o.code, 0, `${what} (seed ${seed}): ${tail(o)}`)
  return (JSON.parse(o.stdout) as { runId: string }).runId
}

/** Brings the saved state about, reconciles a copy without interruption, then kills and reconciles again copy after copy. */
const killTrials = async (dialect: Dialect) => {
  const started = Date.now()
  const cwd = await mkdtemp(path.join(tmpdir(), "handover-reconcile-killed-"))
  try {
    // run 1 migrated and reconciled, run 2 migrated: a completed series gets a new run that replaces the load
    const run1 = await migrate(dialect.saved, cwd, "the first migration")
    const first = await handover(reconcileArgs(dialect.saved), cwd)
    assert.strictEqual(first.code, 0, `the reconciliation of run 1 (seed ${seed}): ${tail(first)}`)
    const run2 = await migrate(dialect.saved, cwd, "the second migration")
    assert.notStrictEqual(run2, run1, "the second migration starts a new run")
    const runs = [{ runId: run1, withTimes: true }, { runId: run2, withTimes: false }]

    // the reference: run 2 reconciled without interruption
    const reference = await dialect.copy()
    let expected: Ledger
    let before: Ledger
    let durationMs: number
    try {
      before = await readLedger(reference.url, runs)
      assert.strictEqual(before.runs[run1]!.reconciliations.length, 1, "run 1 is reconciled")
      assert.deepStrictEqual(before.runs[run2], { findings: [], figures: [], reconciliations: [] }, "run 2 is not reconciled yet")
      const outcome = await handover(reconcileArgs(reference), cwd)
      assert.strictEqual(outcome.code, 0, `the uninterrupted reconciliation (seed ${seed}): ${tail(outcome)}`)
      assert.include(outcome.stdout, `reconciled run ${run2} against ${run1}`)
      durationMs = outcome.ms
      expected = await readLedger(reference.url, runs)
    } finally {
      await reference.release()
    }
    const want = expected.runs[run2]!
    assert.strictEqual(want.reconciliations.length, 1, "the uninterrupted reconciliation records one reconciliation of run 2")
    assert.isAbove(want.findings.length, 0, "the estate gives findings")
    assert.isAbove(want.figures.length, 0, "the estate gives figure lines")
    assert.deepStrictEqual(expected.runs[run1], before.runs[run1], "reconciling run 2 leaves run 1's rows as they were")

    // every uninterrupted reconciliation so far: a kill point is a fraction of their median, as the machine runs now
    const durations = [durationMs]
    let landedBefore = 0
    let landedAfter = 0
    let ended = 0
    let compared = 0
    let lost = 0
    let extra = 0
    // a command that ends before its kill is checked all the same, and another point is drawn, up to twice the kills
    let tried = 0
    for (const [index, point] of killPoints(2 * kills).entries()) {
      if (landedBefore + landedAfter >= kills) break
      tried++
      const typical = median(durations)
      const delayMs = Math.round(point * typical)
      const context = (more: string) =>
        `${dialect.name} kill ${index + 1} (of ${kills} to land), ${delayMs} ms into a ${typical} ms reconciliation, seed ${seed} ` +
        `(HANDOVER_RECONCILE_KILL_SEED=${seed}): ${more}`
      const trial = await dialect.copy()
      try {
        const killed = await handoverKilledAfter(delayMs, reconcileArgs(trial), cwd)
        if (killed.signal === "SIGKILL") {
          // killed: run 2 reconciled completely or not at all, never in part
          const after = await readLedger(trial.url, runs)
          const state = after.runs[run2]!
          if (state.reconciliations.length === 0) {
            landedBefore++
            assert.deepStrictEqual(
              state,
              { findings: [], figures: [], reconciliations: [] },
              context(`the kill left run 2 half reconciled: no reconciliation row, ${state.findings.length} findings, ${state.figures.length} figure lines`)
            )
          } else {
            landedAfter++
            assert.deepStrictEqual(ledgerDifferences(want, state).said, [], context("the kill left run 2 reconciled, but not as the uninterrupted reconciliation"))
          }
          assert.deepStrictEqual(after.runs[run1], before.runs[run1], context("the kill changed run 1's rows"))
        } else {
          // the command ended before its kill
          ended++
          assert.strictEqual(killed.code, 0, context(`the command was to be killed; ${tail(killed)}`))
        }
        const again = await handover(reconcileArgs(trial), cwd)
        assert.strictEqual(again.code, 0, context(`the reconciliation after the kill: ${tail(again)}`))
        durations.push(again.ms)
        assert.include(again.stdout, `reconciled run ${run2} against ${run1}`, context("the reconciliation after the kill"))
        const actual = await readLedger(trial.url, runs)
        const difference = ledgerDifferences(want, actual.runs[run2]!)
        compared += want.findings.length + want.figures.length
        lost += difference.lost
        extra += difference.extra
        assert.deepStrictEqual(difference.said, [], context("run 2's ledger differs from the uninterrupted reconciliation's"))
        assert.deepStrictEqual(actual.runs[run1], before.runs[run1], context("run 1's rows changed"))
        assert.deepStrictEqual(actual.rowsPerRun, expected.rowsPerRun, context("rows per run and table"))
      } finally {
        await trial.release()
      }
    }
    console.log(
      `reconciliations killed on ${dialect.name}: ${tried} kills tried, ${landedBefore} landed before the reconciliation committed, ` +
        `${landedAfter} after, ${ended} too late (the command had ended), ${want.findings.length} findings and ${want.figures.length} figure lines a run, ` +
        `${compared} compared, ${lost} rows lost, ${extra} duplicated or extra, a reconciliation ${median(durations)} ms, ` +
        `${Math.round((Date.now() - started) / 1000)} s (seed ${seed})`
    )
  } finally {
    await rm(cwd, { recursive: true, force: true })
  }
}

const loadEstate = (url: string) => loadSwiftEstate(url, { seed: 31, clients })

const timeout = 600_000

describe.skipIf(!TestDatabase.dialects().includes("pglite"))("a reconciliation killed and run again, on pglite", () => {
  it("records what one uninterrupted reconciliation records", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "handover-reconcile-killed-pglite-"))
    try {
      // one embedded database serves as legacy and target, copied afresh for each trial
      const saved = `pglite://${folder}/saved`
      await loadEstate(saved)
      let n = 0
      await killTrials({
        name: "pglite",
        saved: { legacyUrl: saved, url: saved },
        copy: async () => {
          const dir = `${folder}/copy-${n++}`
          await cp(`${folder}/saved`, dir, { recursive: true })
          return { legacyUrl: `pglite://${dir}`, url: `pglite://${dir}`, release: () => rm(dir, { recursive: true, force: true }) }
        }
      })
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  }, timeout)
})

/** Runs statements on the PostgreSQL server's administrative database. */
const admin = (statements: ReadonlyArray<string>) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const db = yield* Database.openUrl(TestDatabase.postgresAdminUrl())
    yield* db.use("administer the test server", async (d) => {
      for (const statement of statements) await d.query(statement)
    })
  })))

/** Creates a database as a copy of another; the server refuses while the last command's connections are closing. */
const copyDatabase = async (name: string, template: string) => {
  for (let attempt = 1;; attempt++) {
    try {
      return await admin([`CREATE DATABASE ${name} TEMPLATE ${template}`])
    } catch (error) {
      if (attempt >= 20 || !String(error).includes("is being accessed by other users")) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

describe.skipIf(!TestDatabase.dialects().includes("postgres"))("a reconciliation killed and run again, on postgres", () => {
  it("records what one uninterrupted reconciliation records", async () => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const legacy = yield* TestDatabase.freshPostgres
      const saved = yield* TestDatabase.freshPostgres
      yield* Effect.promise(() => loadEstate(legacy.url))
      yield* Effect.promise(() =>
        killTrials({
          name: "postgres",
          saved: { legacyUrl: legacy.url, url: saved.url },
          copy: async () => {
            const name = `${saved.name}_${randomBytes(4).toString("hex")}`
            await copyDatabase(name, saved.name)
            const url = new URL(saved.url)
            url.pathname = `/${name}`
            return { legacyUrl: legacy.url, url: url.href, release: () => admin([`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]) }
          }
        })
      )
    })))
  }, timeout)
})
