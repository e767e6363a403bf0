/**
 * The PostgreSQL server itself restarted under a running migration: a throwaway cluster of this suite's own (Debian's
 * server binaries, a temporary folder owned by the `postgres` user, a free port, trust on 127.0.0.1) holds a small
 * SWIFT estate and the targets. Each trial runs the real command (`handover migrate`, small batches) on a fresh target
 * and, after a number of committed batches drawn at random (plus a few milliseconds, so that the restart lands anywhere
 * in the next batch), stops the server at once (`pg_ctl stop -m immediate`: every connection cut, crash recovery on the
 * next start) and starts it again, sometimes after a pause. The command must either wait for the server (bounded,
 * each wait a warning on standard error) and go on to exit 0, or stop with exit code 2 and one line, and then, run
 * again, resume the run and exit 0. Either way the target must be exactly an uninterrupted run's, the conservation
 * law must hold recounted, one run completed, no key twice.
 *
 * A restart drops every connection: the server sends only a warning (57P01, `terminating connection due to immediate
 * shutdown command`), and `pg` fails with `Connection terminated unexpectedly`, ECONNRESET or EPIPE, or with 57P03
 * (`the database system is shutting down`) for a connection opened at that moment; new connections are then refused
 * (ECONNREFUSED) and, during crash recovery, told 57P03 (`the database system is starting up`, `… not yet accepting
 * connections`). A batch or a lookup caught by it is tried again until the server is back (`Retry`); the work between
 * batches that is not retried (statistics, counts, opening and closing a step, reading the legacy table) stops the
 * command with exit code 2. The summary line says how often each happened.
 *
 * `HANDOVER_RESTARTS` restarts in all (default 5, one or two a trial); `HANDOVER_RESTART_SEED` (else `HANDOVER_SEED`)
 * repeats the choice of restart points and pauses (it is printed in the summary and on failure). The shared test
 * server is never touched: this suite only ever stops the cluster it made.
 */
import { assert, describe, it } from "@effect/vitest"
import { SwiftPipeline } from "@handover/swift-to-ias"
import { Database } from "@handover/sql"
import { Seed, TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { execFile, spawnSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { chown, mkdtemp, readFile, rm } from "node:fs/promises"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { loadSwiftEstate, start } from "./command.ts"
import { capture, conservationBreaches, differences, runs, type State } from "./targetState.ts"

const restarts = Math.max(1, Number(process.env.HANDOVER_RESTARTS ?? 5))
const seed = Seed.of("restart")
const clients = 150
const batchSize = 40
const pipeline = SwiftPipeline.pipeline
const targetSchema = "ias"

/** The folder of the newest PostgreSQL server binaries Debian installed, if any. */
const serverBinaries = (() => {
  try {
    const versions = readdirSync("/usr/lib/postgresql").filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
    return versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((dir) => existsSync(`${dir}/initdb`) && existsSync(`${dir}/pg_ctl`))
  } catch {
    return undefined
  }
})()

/** As root the server runs as the `postgres` user (it refuses to run as root); otherwise as the user running the tests. */
const asRoot = process.getuid?.() === 0
const serverUserExists = !asRoot || spawnSync("id", ["-u", "postgres"]).status === 0

const available = TestDatabase.dialects().includes("postgres") && serverBinaries !== undefined && serverUserExists

/** A server binary and its arguments, as the command that runs it as the server's user. */
const asServerUser = (program: string, args: ReadonlyArray<string>): readonly [string, ReadonlyArray<string>] =>
  asRoot ? ["runuser", ["-u", "postgres", "--", `${serverBinaries}/${program}`, ...args]] : [`${serverBinaries}/${program}`, args]

/** Runs one of the server binaries as the server's user; rejects with what it printed when it fails. */
const server = (program: string, args: ReadonlyArray<string>): Promise<string> =>
  new Promise((resolve, reject) => {
    const [command, argv] = asServerUser(program, args)
    execFile(command, argv, { cwd: tmpdir() }, (error, stdout, stderr) =>
      error === null ? resolve(stdout + stderr) : reject(new Error(`${program} ${args.join(" ")}: ${error.message}\n${stdout}${stderr}`)))
  })

/** A TCP port nothing listens on now: one the system hands out, released at once. */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      probe.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

interface Cluster {
  readonly url: (database: string) => string
  /** Stops the server at once, waits `pauseMs`, starts it and waits until it accepts connections; the time it was down. */
  readonly restart: (pauseMs: number) => Promise<number>
  /** The end of the server's log, for failure messages. */
  readonly logTail: () => Promise<string>
}

/** A PostgreSQL cluster of this suite's own in a temporary folder; stopped and removed with the scope. */
const cluster = Effect.acquireRelease(
  Effect.promise(async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "handover-restart-"))
    if (asRoot) await chown(folder, Number(spawnSync("id", ["-u", "postgres"]).stdout.toString().trim()), 0)
    const data = `${folder}/data`
    const log = `${folder}/server.log`
    const port = await freePort()
    const stopArgs = ["stop", "-D", data, "-m", "immediate", "-w"]
    const start = () =>
      server("pg_ctl", ["start", "-D", data, "-l", log, "-w", "-t", "60", "-o", `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1`])
    const stop = () => server("pg_ctl", stopArgs)
    // a test process that ends half way must not leave the server running
    const onExit = () => {
      spawnSync(...asServerUser("pg_ctl", stopArgs))
      spawnSync("rm", ["-rf", folder])
    }
    process.once("exit", onExit)
    const remove = async () => {
      await stop().catch(() => undefined)
      process.off("exit", onExit)
      await rm(folder, { recursive: true, force: true })
    }
    try {
      await server("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale", "C"])
      await start()
    } catch (error) {
      await remove()
      throw error
    }
    const value: Cluster = {
      url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
      restart: async (pauseMs) => {
        const stopped = Date.now()
        await stop()
        if (pauseMs > 0) await sleep(pauseMs)
        await start()
        return Date.now() - stopped
      },
      logTail: async () => (await readFile(log, "utf8").catch(() => "")).split("\n").slice(-15).join("\n")
    }
    return { value, remove }
  }),
  ({ remove }) => Effect.promise(remove)
).pipe(Effect.map(({ value }) => value))

interface Outcome {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** Batches this process reported committed. */
  readonly committed: number
}

/** How long one run of the command may take before it is killed as hung: a run takes seconds, a wait a minute at most. */
const hungAfterMs = 150_000

/** Runs `handover migrate` in a child process, calling `onCommitted` for each batch it reports committed. */
const migrate = (legacyUrl: string, targetUrl: string, cwd: string, onCommitted: () => void = () => {}): Promise<Outcome> => {
  let committed = 0
  const running = start(
    ["migrate", "--legacy", legacyUrl, "--target", targetUrl, "--rehearsal", "restart", "--batch-size", String(batchSize), "--progress", "batches", "--json"],
    cwd,
    (line) => {
      if (/: batch \d+ committed, /.test(line)) {
        committed++
        onCommitted()
      }
    }
  )
  const hung = setTimeout(() => running.child.kill("SIGKILL"), hungAfterMs)
  return running.done.then((o) => {
    clearTimeout(hung)
    return { code: o.code, signal: o.signal, stdout: o.stdout, stderr: o.stderr, committed }
  })
}

/** Progress lines of `--progress batches`: an entity's start and each committed batch. */
const isProgress = (line: string) => /^[\w ]+: ([\d,]+ legacy rows|batch \d+ committed, |[\d,]+ of [\d,]+ rows, )/.test(line)
/** A wait for the server, logged as a warning. */
const isWait = (line: string) => /^\[[\d:.]+\] WARN /.test(line)
/** A line of the command in a general form: no clock, port, numbers or database. */
const general = (line: string) =>
  line.replace(/^\[[\d:.]+\] WARN \(#\d+\): /, "").replace(/ \{ retry: .*$/, "").replace(/postgres:\/\/[^ ]+/g, "<db>").replace(/\d+/g, "N")
const tail = (text: string) => text.split("\n").slice(-12).join("\n")

interface Restart {
  /** Where it falls, as a fraction of the run's batches… */
  readonly at: number
  /** …and this many milliseconds after that batch committed. */
  readonly delayMs: number
  /** How long the server stays down before it is started again. */
  readonly pauseMs: number
}

/** Plans of one or two restarts a trial, as many as any number of trials may need, all from the seed. */
const plans = (count: number): ReadonlyArray<ReadonlyArray<Restart>> =>
  fc.sample(
    fc.array(
      fc.record({
        // without bias: fc.sample's doubles cluster at 0, which would put nearly every restart at the first batches
        at: fc.noBias(fc.integer({ min: 0, max: 999_999 })).map((n) => n / 1_000_000),
        delayMs: fc.noBias(fc.integer({ min: 0, max: 30 })),
        // started again at once, after a short pause, or after longer than the retries of a lost connection last
        pauseMs: fc.noBias(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1_500 }), fc.integer({ min: 3_000, max: 5_000 })))
      }),
      { minLength: 1, maxLength: 2 }
    ),
    { seed, numRuns: count }
  )

interface Trial {
  readonly restarts: number
  /** Restarts the process that was running rode out: it went on (waiting for the server or not needing to). */
  readonly rodeOut: number
  /** Restarts that stopped the command with exit code 2, after which it was run again and resumed. */
  readonly resumed: number
  /** Warnings of waits for the server the command logged. */
  readonly waits: number
  readonly lost: number
  readonly duplicated: number
  readonly downMs: ReadonlyArray<number>
  /** The lines of the runs that stopped with exit code 2, and the errors waited out, each in a general form. */
  readonly errors: ReadonlyArray<string>
  readonly waitedOut: ReadonlyArray<string>
}

const inspect = <A>(legacyUrl: string, targetUrl: string, f: (legacy: Database.Database, target: Database.Database) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const legacy = yield* Database.openUrl(legacyUrl)
    const target = yield* Database.openUrl(targetUrl)
    return yield* f(legacy, target)
  })))

const createDatabase = (admin: string, name: string) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const db = yield* Database.openUrl(admin)
    yield* db.use(`create ${name}`, (d) => d.query(`CREATE DATABASE ${name}`))
  })))

/** Rows missing from a target, and rows in it twice or more, against the expected state. */
const lostAndDuplicated = (expected: State, actual: State) => {
  let lost = 0
  let duplicated = 0
  for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    const want = expected[key]?.rows ?? 0
    const got = actual[key]?.rows ?? 0
    const twice = actual[key]?.duplicateKeys ?? 0
    lost += Math.max(0, want - (got - twice))
    duplicated += twice + Math.max(0, got - twice - want)
  }
  return { lost, duplicated }
}

const runTrial = async (
  servers: Cluster,
  legacyUrl: string,
  cwd: string,
  expected: State,
  totalBatches: number,
  index: number,
  plan: ReadonlyArray<Restart>
): Promise<Trial> => {
  const name = `target_${index}`
  await createDatabase(servers.url("postgres"), name)
  const targetUrl = servers.url(name)
  // each restart after at least one batch and at least three before the end, in order
  const thresholds = plan.map((r) => 1 + Math.floor(r.at * (totalBatches - 4))).sort((a, b) => a - b)
  const context = (more: string) =>
    `trial ${index} of seed ${seed} (HANDOVER_RESTART_SEED=${seed}), restarts ${JSON.stringify(plan)} after batches ${
      JSON.stringify(thresholds)
    } of ${totalBatches}: ${more}`
  let committed = 0
  let next = 0
  let restarting: Promise<void> | undefined
  let invocation = 0
  // the restarts done, each with the run of the command it fell on
  const done: Array<{ readonly invocation: number; readonly downMs: number }> = []
  const failures: Array<unknown> = []
  const onCommitted = () => {
    committed++
    if (restarting !== undefined || next >= plan.length || committed < thresholds[next]!) return
    const restart = plan[next++]!
    const during = invocation
    restarting = sleep(restart.delayMs)
      .then(() => servers.restart(restart.pauseMs))
      .then((downMs) => void done.push({ invocation: during, downMs }), (error) => void failures.push(error))
      .finally(() => (restarting = undefined))
  }
  let rodeOut = 0
  let resumed = 0
  let waits = 0
  let stoppedWithBatches = false
  const errors: Array<string> = []
  const waitedOut: Array<string> = []
  let last: Outcome | undefined
  // one run, and one more for each restart that stopped it
  for (; invocation <= plan.length; invocation++) {
    const outcome = await migrate(legacyUrl, targetUrl, cwd, onCommitted)
    await restarting
    assert.deepStrictEqual(failures.map(String), [], context("the server restarted"))
    const lines = outcome.stderr.split("\n").filter((l) => l !== "")
    const warnings = lines.filter(isWait)
    // each wait says what it waits for: a batch or a lookup tried again, or the hold on the target taken again
    for (const w of warnings) assert.match(w, /is tried again in \d+ ms \(attempt \d+|the hold on it was lost/, context(`an unexpected warning: ${w}`))
    waits += warnings.length
    waitedOut.push(...warnings.map((w) => general(w).split("; ")[0]!))
    const other = lines.filter((l) => !isProgress(l) && !isWait(l))
    const said = `exit ${outcome.code} (${outcome.signal}):\n${tail(outcome.stderr)}\n--- server log:\n${await servers.logTail()}`
    const mine = done.filter((d) => d.invocation === invocation).length
    if (outcome.code === 0) {
      assert.deepStrictEqual(other, [], context(`the command said more than its progress and waits; ${said}`))
      rodeOut += mine
      last = outcome
      break
    }
    assert.strictEqual(outcome.code, 2, context(`the command neither went on nor stopped with exit code 2; ${said}`))
    assert.isAbove(mine, 0, context(`the command stopped with no restart under it; ${said}`))
    assert.strictEqual(other.length, 1, context(`not one line; ${said}`))
    assert.match(other[0]!, /^handover: /, context(said))
    errors.push(general(other[0]!))
    rodeOut += mine - 1
    resumed++
    if (committed > 0) stoppedWithBatches = true
  }
  assert.isDefined(last, context(`the command did not end within ${plan.length + 1} runs`))
  const result = JSON.parse(last!.stdout) as { runId: string; resumed: boolean }
  if (stoppedWithBatches) assert.isTrue(result.resumed, context("the run was started again instead of resumed"))
  const { actual, breaches, allRuns } = await inspect(legacyUrl, targetUrl, (legacy, target) =>
    Effect.gen(function*() {
      return {
        actual: yield* capture(target, pipeline, targetSchema, result.runId),
        breaches: yield* conservationBreaches(legacy, target, pipeline, result.runId, undefined),
        allRuns: yield* runs(target, pipeline.name)
      }
    }))
  assert.deepStrictEqual(breaches, [], context("the conservation law, recounted"))
  assert.deepStrictEqual(allRuns.map((r) => r.status), ["completed"], context("one run, completed"))
  for (const [table, state] of Object.entries(actual)) assert.strictEqual(state.duplicateKeys, 0, context(`${table} holds a key twice`))
  const { lost, duplicated } = lostAndDuplicated(expected, actual)
  assert.deepStrictEqual(differences(expected, actual), [], context(`the target differs from the uninterrupted run's (${lost} rows lost, ${duplicated} duplicated)`))
  return { restarts: done.length, rodeOut, resumed, waits, lost, duplicated, downMs: done.map((d) => d.downMs), errors, waitedOut }
}

const loadEstate = (url: string) => loadSwiftEstate(url, { seed: 31, clients })

describe.skipIf(!available)("the PostgreSQL server restarted under a running migration", () => {
  it.live("the command waits for it or stops with exit code 2 and resumes, and the target is the uninterrupted one", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const servers = yield* cluster
      const cwd = yield* Effect.acquireRelease(
        Effect.promise(() => mkdtemp(path.join(tmpdir(), "handover-restart-cwd-"))),
        (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
      )
      yield* Effect.promise(async () => {
        await createDatabase(servers.url("postgres"), "legacy")
        await createDatabase(servers.url("postgres"), "target_baseline")
        const legacyUrl = servers.url("legacy")
        await loadEstate(legacyUrl)
        const baseline = await migrate(legacyUrl, servers.url("target_baseline"), cwd)
        assert.strictEqual(baseline.code, 0, `seed ${seed}: the uninterrupted run exited ${baseline.code}:\n${tail(baseline.stderr)}`)
        const { runId } = JSON.parse(baseline.stdout) as { runId: string }
        const expected = await inspect(legacyUrl, servers.url("target_baseline"), (_, target) => capture(target, pipeline, targetSchema, runId))
        const totalBatches = baseline.committed
        assert.isAbove(totalBatches, 20, `seed ${seed}: the estate has many batches`)
        const baselineMs = Date.now() - started

        const trials: Array<Trial> = []
        const queue = plans(restarts * 2)
        for (let index = 0; trials.reduce((n, t) => n + t.restarts, 0) < restarts; index++) {
          assert.isBelow(index, queue.length, `seed ${seed}: ${restarts} restarts not done within ${queue.length} trials`)
          trials.push(await runTrial(servers, legacyUrl, cwd, expected, totalBatches, index, queue[index]!))
        }
        const sum = (f: (t: Trial) => number) => trials.reduce((n, t) => n + f(t), 0)
        const down = trials.flatMap((t) => t.downMs)
        console.log(
          `server restarts: ${sum((t) => t.restarts)} restarts in ${trials.length} trials, ${sum((t) => t.rodeOut)} ridden out ` +
            `(${sum((t) => t.waits)} waits logged), ${sum((t) => t.resumed)} stopped with exit 2 and resumed; ` +
            `rows lost ${sum((t) => t.lost)}, duplicated ${sum((t) => t.duplicated)}; server down ${Math.min(...down)}-${Math.max(...down)} ms; ` +
            `${totalBatches} batches a run, baseline ${Math.round(baselineMs / 1000)} s, ${Math.round((Date.now() - started) / 1000)} s in all (seed ${seed})`
        )
        for (const e of new Set(trials.flatMap((t) => t.errors))) console.log(`  exit 2: ${e}`)
        for (const w of new Set(trials.flatMap((t) => t.waitedOut))) console.log(`  waited out: ${w}`)
      })
    }).pipe(Effect.scoped), { timeout: 120_000 + restarts * 30_000 })
})
