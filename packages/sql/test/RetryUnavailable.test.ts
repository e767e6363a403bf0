/**
 * Retries while the server cannot be reached — it refuses connections or answers that it is starting up or shutting
 * down, as while it restarts: which PostgreSQL errors say so, and the retry that waits for such a server by time, not
 * by attempts, with each wait logged, and gives up once the time is spent. A policy without that time retries only
 * lost connections, as before.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Result from "effect/Result"
import * as PostgresErrors from "../src/postgres/PostgresErrors.ts"
import * as Retry from "../src/Retry.ts"
import { failing, failure, postgres, withCode, withWarnings } from "./retrySupport.ts"


describe("a server out of reach, PostgreSQL", () => {
  it("is a refused connection or 57P03, not a lost connection nor any other error", () => {
    const unavailable = [
      withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"),
      new AggregateError([withCode("connect ECONNREFUSED ::1:5432", "ECONNREFUSED"), withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED")]),
      withCode("the database system is starting up", "57P03"),
      withCode("the database system is shutting down", "57P03"),
      withCode("the database system is not yet accepting connections", "57P03"),
      new Error("read entity steps", { cause: withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED") })
    ]
    for (const error of unavailable) assert.isTrue(PostgresErrors.isUnavailable(error), error.message)
    const reachable = [
      withCode("terminating connection due to administrator command", "57P01"),
      withCode("read ECONNRESET", "ECONNRESET"),
      withCode("database \"x\" does not exist", "3D000"),
      withCode("password authentication failed", "28P01"),
      withCode("sorry, too many clients already", "53300"),
      new Error("Connection terminated unexpectedly")
    ]
    for (const error of reachable) assert.isFalse(PostgresErrors.isUnavailable(error), error.message)
    assert.isFalse(PostgresErrors.isUnavailable(null))
    // a refused connection is still not a lost one: a command that cannot connect at its start stops at once
    assert.isFalse(PostgresErrors.isTransient(withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED")))
    assert.isFalse(Retry.isUnavailable("pglite", withCode("the database system is starting up", "57P03")))
    assert.isTrue(Retry.isUnavailable("postgres", withCode("the database system is starting up", "57P03")))
  })
})

const lostConnection = () => failure(withCode("terminating connection due to immediate shutdown command", "57P01"))
const refused = () => failure(withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"))
const startingUp = () => failure(withCode("the database system is starting up", "57P03"))



const waiting: Retry.Policy = { attempts: 3, base: "1 millis", waitForServer: "2 seconds", maxWait: "20 millis" }

describe("retryTransient, while the server cannot be reached", () => {
  it.live("a restart: the connection lost, then refused and starting up for longer than the attempts allow, then back", () =>
    Effect.gen(function*() {
      const work = failing([lostConnection(), ...Array.from({ length: 8 }, refused), startingUp(), startingUp()])
      const { result, warnings } = yield* withWarnings(work.effect.pipe(Retry.retryTransient(postgres, { operation: "load client batch 3", policy: waiting })))
      assert.isTrue(Result.isSuccess(result) && result.success === 12, String(result))
      assert.strictEqual(warnings.length, 11)
      assert.match(warnings[0]!, /the connection was lost; load client batch 3 is tried again in \d+ ms \(attempt 2 of 3\)/)
      for (const w of warnings.slice(1)) {
        assert.match(w, /the server cannot be reached; load client batch 3 is tried again in \d+ ms \(attempt \d+, waiting for the server [\d.]+ s so far, at most 2\.0 s\)/)
      }
      // the waits double, with jitter, up to the longest wait
      const waits = warnings.map((w) => Number(/again in (\d+) ms/.exec(w)![1]))
      for (const wait of waits) assert.isAtMost(wait, 20)
      assert.deepStrictEqual(waits.slice(-3), [20, 20, 20])
    }))

  it.live("gives up with the last failure once the time to wait for the server is spent", () =>
    Effect.gen(function*() {
      const work = failing(Array.from({ length: 10_000 }, refused))
      const started = Date.now()
      const policy: Retry.Policy = { ...waiting, waitForServer: "300 millis" }
      const { result, warnings } = yield* withWarnings(work.effect.pipe(Retry.retryTransient(postgres, { operation: "load", policy })))
      const elapsed = Date.now() - started
      assert.strictEqual(result._tag, "Failure")
      if (result._tag === "Failure") assert.isTrue(Retry.isUnavailableFailure("postgres", result.failure))
      assert.isAtLeast(elapsed, 300)
      assert.strictEqual(warnings.length, work.attempts() - 1)
      // no wait begins once the time to wait is spent: the last one begins within it, by the command's own clock
      const soFar = warnings.map((w) => Number(/waiting for the server ([\d.]+) s so far/.exec(w)![1]))
      assert.isAtMost(soFar.at(-1)!, 0.3)
    }))

  it.live("lost connections still count against the attempts, however long the server was away between them", () =>
    Effect.gen(function*() {
      const failures = [lostConnection(), refused(), lostConnection(), refused(), refused(), lostConnection(), refused()]
      const work = failing(failures)
      const { result, warnings } = yield* withWarnings(work.effect.pipe(Retry.retryTransient(postgres, { operation: "load", policy: waiting })))
      assert.strictEqual(work.attempts(), 6)
      assert.strictEqual(result._tag, "Failure")
      if (result._tag === "Failure") assert.strictEqual(result.failure, failures[5])
      assert.deepStrictEqual(warnings.map((w) => /\((attempt \d+(?: of \d+)?)/.exec(w)![1]), [
        "attempt 2 of 3",
        "attempt 3",
        "attempt 3 of 3",
        "attempt 5",
        "attempt 6"
      ])
    }))

  it.live("without a time to wait for the server, a refused connection fails at once and 57P03 counts as a lost connection", () =>
    Effect.gen(function*() {
      const policy: Retry.Policy = { attempts: 3, base: "1 millis" }
      const first = failing([refused()])
      const once = yield* withWarnings(first.effect.pipe(Retry.retryTransient(postgres, { operation: "load", policy })))
      assert.strictEqual(first.attempts(), 1)
      assert.strictEqual(once.result._tag, "Failure")
      assert.deepStrictEqual(once.warnings, [])
      const second = failing(Array.from({ length: 5 }, startingUp))
      const counted = yield* withWarnings(second.effect.pipe(Retry.retryTransient(postgres, { operation: "load", policy })))
      assert.strictEqual(second.attempts(), 3)
      assert.strictEqual(counted.warnings.length, 2)
    }))

  it.live("never waits for a server on PGlite", () =>
    Effect.gen(function*() {
      const work = failing([startingUp()])
      const pglite = { dialect: { name: "pglite" as const }, display: "pglite://memory" }
      yield* withWarnings(work.effect.pipe(Retry.retryTransient(pglite, { operation: "load", policy: waiting })))
      assert.strictEqual(work.attempts(), 1)
    }))
})
