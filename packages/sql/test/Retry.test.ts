/**
 * Retries of work a lost connection interrupted: which errors of each dialect mean a lost connection (shapes the
 * drivers really raise, and on the PostgreSQL server a backend really terminated), and the retry itself — bounded
 * attempts, exponential waits with jitter, only lost connections retried, a commit that went through not repeated.
 * On the server: a transaction whose backend is terminated between two statements fails with a lost connection,
 * the process survives it, and the dead client is discarded, never handed out again.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { fc } from "@fast-check/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import mssql from "mssql"
import pg from "pg"
import * as Tedious from "tedious"
import type { Driver } from "../src/Driver.ts"
import * as MssqlErrors from "../src/mssql/MssqlErrors.ts"
import * as PostgresDriver from "../src/postgres/PostgresDriver.ts"
import * as PostgresErrors from "../src/postgres/PostgresErrors.ts"
import * as Retry from "../src/Retry.ts"
import { failing, failure, postgres, withCode, withWarnings } from "./retrySupport.ts"
import { freshPostgres, testsDialect, type FreshDatabase } from "./support.ts"


describe("lost connections, PostgreSQL", () => {
  it("are SQLSTATE class 08, 57P01-57P03 and the socket errors pg raises", () => {
    const lost = [
      withCode("connection failure", "08006"),
      withCode("connection does not exist", "08003"),
      withCode("server rejected the connection", "08004"),
      withCode("terminating connection due to administrator command", "57P01"),
      withCode("terminating connection due to crash of another server process", "57P02"),
      withCode("the database system is starting up", "57P03"),
      withCode("read ECONNRESET", "ECONNRESET"),
      withCode("write EPIPE", "EPIPE"),
      new Error("Connection terminated unexpectedly"),
      new Error("Connection terminated"),
      new Error("Client has encountered a connection error and is not queryable"),
      new AggregateError([withCode("read ECONNRESET", "ECONNRESET")]),
      new Error("the batch failed", { cause: withCode("terminating connection due to administrator command", "57P01") })
    ]
    for (const error of lost) assert.isTrue(PostgresErrors.isTransient(error), error.message)
    const kept = [
      withCode("duplicate key value violates unique constraint", "23505"),
      withCode("relation does not exist", "42P01"),
      withCode("database \"x\" does not exist", "3D000"),
      withCode("password authentication failed", "28P01"),
      withCode("could not serialize access", "40001"),
      withCode("canceling statement due to user request", "57014"),
      withCode("connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED"),
      new Error("syntax error at or near \"SELEC\""),
      new AggregateError([withCode("connect ECONNREFUSED ::1:1", "ECONNREFUSED")])
    ]
    for (const error of kept) assert.isFalse(PostgresErrors.isTransient(error), error.message)
    assert.isFalse(PostgresErrors.isTransient(null))
    assert.isFalse(PostgresErrors.isTransient("Connection terminated"))
  })
})

describe("lost connections, SQL Server", () => {
  it("are socket errors, closed connections and timeouts while connecting, as mssql and tedious raise them", () => {
    const lost = [
      new mssql.ConnectionError("Connection lost - read ECONNRESET", "ESOCKET"),
      new mssql.ConnectionError("Connection is closed.", "ECONNCLOSED"),
      new mssql.ConnectionError("Failed to connect in 15000ms", "ETIMEOUT"),
      new Tedious.ConnectionError("Connection lost - write EPIPE", "ESOCKET"),
      new Tedious.RequestError("Connection closed before request completed.", "ECLOSE"),
      new mssql.RequestError(new Tedious.RequestError("Connection closed before request completed.", "ECLOSE") as never)
    ]
    for (const error of lost) assert.isTrue(MssqlErrors.isTransient(error), error.message)
    const kept = [
      new mssql.RequestError("Timeout: Request failed to complete in 15000ms", "ETIMEOUT"),
      new mssql.RequestError("Violation of PRIMARY KEY constraint", "EREQUEST"),
      new mssql.ConnectionError("Login failed for user 'sa'.", "ELOGIN"),
      new mssql.TransactionError("Transaction has not begun.", "ENOTBEGUN"),
      new Error("Invalid object name 'x'.")
    ]
    for (const error of kept) assert.isFalse(MssqlErrors.isTransient(error), error.message)
  })

  it("PGlite runs in the process and has no connection to lose", () => {
    assert.isFalse(Retry.isTransient("pglite", withCode("terminating connection due to administrator command", "57P01")))
    assert.isTrue(Retry.isTransient("postgres", withCode("terminating connection due to administrator command", "57P01")))
    assert.isTrue(Retry.isTransient("mssql", new mssql.ConnectionError("Connection is closed.", "ECONNCLOSED")))
  })
})

const lostConnection = () => failure(withCode("terminating connection due to administrator command", "57P01"))



const fast: Retry.Policy = { attempts: 5, base: "1 millis" }

describe("retryTransient", () => {
  it.live("tries again after lost connections, logging each new attempt, until one succeeds", () =>
    Effect.gen(function*() {
      const work = failing([lostConnection(), lostConnection()])
      const { result, warnings } = yield* withWarnings(work.effect.pipe(Retry.retryTransient(postgres, { operation: "load client batch 3", policy: fast })))
      assert.isTrue(Result.isSuccess(result) && result.success === 3)
      assert.strictEqual(work.attempts(), 3)
      assert.strictEqual(warnings.length, 2)
      assert.match(warnings[0]!, /load client batch 3 is tried again in \d+ ms \(attempt 2 of 5\)/)
      assert.match(warnings[1]!, /\(attempt 3 of 5\)/)
    }))

  it.live("fails at once on anything but a lost connection", () =>
    Effect.gen(function*() {
      const duplicate = failure(withCode("duplicate key value violates unique constraint", "23505"))
      const work = failing([duplicate])
      const { result, warnings } = yield* withWarnings(work.effect.pipe(Retry.retryTransient(postgres, { operation: "load", policy: fast })))
      assert.strictEqual(work.attempts(), 1)
      assert.strictEqual(result._tag, "Failure")
      if (result._tag === "Failure") assert.strictEqual(result.failure, duplicate)
      assert.deepStrictEqual(warnings, [])
    }))

  it.live("gives up after the policy's attempts with the last failure", () =>
    Effect.gen(function*() {
      const failures = Array.from({ length: 10 }, lostConnection)
      const work = failing(failures)
      const { result, warnings } = yield* withWarnings(work.effect.pipe(Retry.retryTransient(postgres, { operation: "load", policy: fast })))
      assert.strictEqual(work.attempts(), 5)
      assert.strictEqual(warnings.length, 4)
      assert.strictEqual(result._tag, "Failure")
      if (result._tag === "Failure") assert.strictEqual(result.failure, failures[4])
    }))

  it.live("never retries on PGlite", () =>
    Effect.gen(function*() {
      const work = failing([lostConnection()])
      const pglite = { dialect: { name: "pglite" as const }, display: "pglite://memory" }
      yield* withWarnings(work.effect.pipe(Retry.retryTransient(pglite, { operation: "load", policy: fast })))
      assert.strictEqual(work.attempts(), 1)
    }))

  it.live("does not run again work whose commit went through before the connection dropped", () =>
    Effect.gen(function*() {
      let committed = 0
      let attempts = 0
      // the commit reaches the server, the answer never comes back
      const work = Effect.suspend(() => {
        attempts++
        committed++
        return Effect.fail(lostConnection())
      })
      const check = Effect.sync(() => (committed > 0 ? Option.some("done") : Option.none()))
      const { result } = yield* withWarnings(work.pipe(Retry.retryTransient(postgres, { operation: "load", policy: fast, committed: check })))
      assert.isTrue(Result.isSuccess(result) && result.success === "done")
      assert.strictEqual(attempts, 1)
      assert.strictEqual(committed, 1)
    }))

  it.live("waits exponentially from the base, with jitter of at most a fifth either way", () =>
    Effect.gen(function*() {
      const samples = fc.sample(fc.integer({ min: 2, max: 12 }), { numRuns: 4, seed: 7 })
      for (const base of samples) {
        const work = failing(Array.from({ length: 10 }, lostConnection))
        const started = Date.now()
        const { warnings } = yield* withWarnings(work.effect.pipe(Retry.retryTransient(postgres, { operation: "load", policy: { attempts: 4, base: `${base} millis` } })))
        const elapsed = Date.now() - started
        const waits = warnings.map((w) => Number(/again in (\d+) ms/.exec(w)![1]))
        assert.strictEqual(waits.length, 3)
        waits.forEach((wait, i) => {
          const nominal = base * 2 ** i
          assert.isAtLeast(wait, Math.floor(nominal * 0.8), `wait ${i} of base ${base}`)
          assert.isAtMost(wait, Math.ceil(nominal * 1.2), `wait ${i} of base ${base}`)
        })
        assert.isAtLeast(elapsed, waits.reduce((a, b) => a + b, 0) - 3)
      }
    }))
})

describe.skipIf(!testsDialect("postgres"))("a backend terminated on the PostgreSQL server", () => {
  let db: FreshDatabase
  let driver: Driver
  const admin = () => new pg.Client({ connectionString: db.url })
  const terminate = async (pid: number) => {
    const client = admin()
    await client.connect()
    try {
      const r = await client.query("SELECT pg_terminate_backend($1, 5000) AS done", [pid])
      assert.isTrue(r.rows[0].done)
    } finally {
      await client.end()
    }
  }
  const pidOf = async (c: { query: Driver["query"] }) => Number((await c.query("SELECT pg_backend_pid() AS pid"))[0]!.pid)

  beforeAll(async () => {
    db = await freshPostgres()
    driver = PostgresDriver.make({ connectionString: db.url, maxConnections: 2 })
    await driver.query("CREATE TABLE t (id int PRIMARY KEY)")
  })
  afterAll(async () => {
    await driver?.close()
    await db?.drop()
  })

  it("between two statements of a transaction: a lost connection, nothing committed, the client discarded", async () => {
    let killed = 0
    const error = await driver.transaction(async (c) => {
      await c.query("INSERT INTO t VALUES (1)")
      killed = await pidOf(c)
      await terminate(killed)
    }).then(() => undefined, (e: unknown) => e)
    assert.isDefined(error)
    assert.isTrue(Retry.isTransient("postgres", error), String(error))
    assert.deepStrictEqual(await driver.query("SELECT COUNT(*)::int AS n FROM t"), [{ n: 0 }])
    // every later transaction gets a live connection, never the dead one
    for (let i = 0; i < 4; i++) {
      const pid = await driver.transaction(async (c) => {
        await c.query("INSERT INTO t VALUES ($1)", [10 + i])
        return pidOf(c)
      })
      assert.notStrictEqual(pid, killed)
    }
    assert.deepStrictEqual(await driver.query("SELECT COUNT(*)::int AS n FROM t"), [{ n: 4 }])
  })

  it("during a statement: a lost connection, and the pool goes on", async () => {
    const error = await driver.transaction(async (c) => {
      const pid = await pidOf(c)
      const killer = new Promise((resolve) => setTimeout(resolve, 100)).then(() => terminate(pid))
      try {
        await c.query("SELECT pg_sleep(5)")
      } finally {
        await killer
      }
    }).then(() => undefined, (e: unknown) => e)
    assert.isTrue(Retry.isTransient("postgres", error), String(error))
    assert.deepStrictEqual(await driver.query("SELECT 1 AS one"), [{ one: 1 }])
  })

  it("a missing database or a refused connection is not a lost connection", async () => {
    const url = new URL(db.url)
    url.pathname = "/handover_no_such_database"
    const missing = PostgresDriver.make({ connectionString: url.href })
    const error = await missing.query("SELECT 1").then(() => undefined, (e: unknown) => e)
    await missing.close()
    assert.strictEqual((error as { code?: string }).code, "3D000")
    assert.isFalse(Retry.isTransient("postgres", error))
    const refused = PostgresDriver.make({ connectionString: "postgres://postgres@127.0.0.1:1/postgres" })
    const error2 = await refused.query("SELECT 1").then(() => undefined, (e: unknown) => e)
    await refused.close()
    assert.isDefined(error2)
    assert.isFalse(Retry.isTransient("postgres", error2))
  })
})
