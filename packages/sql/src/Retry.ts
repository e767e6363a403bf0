/**
 * Work that a lost connection interrupted, tried again: a batch whose connection the server dropped half way is rolled
 * back with it, so it can be run again whole on a new connection. Each dialect says which of its errors mean a lost
 * connection (`postgres/PostgresErrors.ts`, `mssql/MssqlErrors.ts`; PGlite runs in the process and has none to lose);
 * every other error fails at once. Attempts are spaced exponentially with jitter (100 ms, 200 ms, 400 ms … by default)
 * and bounded (5 in all by default), and each new attempt is logged as a warning.
 *
 * A server that restarts drops every connection and then, for as long as it is down, refuses new ones or answers that
 * it is starting up: a few seconds for a small one, minutes for a large one's crash recovery. While the server cannot
 * be reached the work is tried again for longer, bounded by time rather than by attempts (60 seconds by default, the
 * waits still doubling but none longer than 2 seconds), each wait again logged as a warning.
 *
 * Only work already under way is retried: a database that cannot be reached when it is opened fails at once
 * (`Database.open`).
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { DatabaseError } from "./Database.ts"
import * as MssqlErrors from "./mssql/MssqlErrors.ts"
import * as PostgresErrors from "./postgres/PostgresErrors.ts"
import type { DialectName } from "./SqlDialect.ts"

/** Whether an error a dialect's driver raised means the connection was lost. */
export const isTransient = (dialect: DialectName, error: unknown): boolean => {
  switch (dialect) {
    case "postgres":
      return PostgresErrors.isTransient(error)
    case "mssql":
      return MssqlErrors.isTransient(error)
    case "pglite":
      return false
  }
}

/**
 * Whether an error a dialect's driver raised means the server cannot be reached now but may be soon (refusing
 * connections, starting up, shutting down: a restart).
 */
export const isUnavailable = (dialect: DialectName, error: unknown): boolean => {
  switch (dialect) {
    case "postgres":
      return PostgresErrors.isUnavailable(error)
    case "mssql":
    case "pglite":
      return false
  }
}

/** Whether a failure is a `DatabaseError` whose cause means the connection was lost. */
export const isTransientFailure = (dialect: DialectName, failure: unknown): failure is DatabaseError =>
  failure instanceof DatabaseError && isTransient(dialect, failure.cause)

/** Whether a failure is a `DatabaseError` whose cause means the server cannot be reached now. */
export const isUnavailableFailure = (dialect: DialectName, failure: unknown): failure is DatabaseError =>
  failure instanceof DatabaseError && isUnavailable(dialect, failure.cause)

export interface Policy {
  /** Attempts in all after lost connections, the first included. */
  readonly attempts: number
  /** The wait before the second attempt; each later wait doubles, with jitter. */
  readonly base: Duration.Input
  /**
   * How long, from the first failure, to go on trying while the server cannot be reached (it refuses connections, or
   * is starting up or shutting down); such attempts do not count against `attempts`. None: only lost connections are
   * tried again.
   */
  readonly waitForServer?: Duration.Input | undefined
  /** The longest wait between two attempts; none: each wait doubles the one before. */
  readonly maxWait?: Duration.Input | undefined
}

export const defaultPolicy: Policy = { attempts: 5, base: "100 millis", waitForServer: "60 seconds", maxWait: "2 seconds" }

export interface Options<A, E2, R2> {
  /** What is being done, for the warning logged before each new attempt. */
  readonly operation: string
  readonly policy?: Policy | undefined
  /**
   * Asked before each new attempt: whether the attempt that lost its connection had committed after all (the
   * connection can drop after the server committed but before it answered). `Some` ends the retries with its value.
   */
  readonly committed?: Effect.Effect<Option.Option<A>, E2, R2> | undefined
}

/** The waits between attempts: exponential from the base, jittered, bounded by the number of attempts. */
export const schedule = (policy: Policy) =>
  Schedule.exponential(policy.base).pipe(Schedule.jittered, Schedule.upTo({ times: Math.max(0, policy.attempts - 1) }))

/** The waits between attempts, unbounded: exponential from the base, jittered, none longer than the policy's longest. */
const waits = (policy: Policy) => {
  const jittered = Schedule.exponential(policy.base).pipe(Schedule.jittered)
  if (policy.maxWait === undefined) return jittered
  const longest = Duration.fromInputUnsafe(policy.maxWait)
  return jittered.pipe(Schedule.modifyDelay(({ duration }) => Effect.succeed(Duration.min(duration, longest))))
}

const seconds = (millis: number) => `${(millis / 1000).toFixed(1)} s`

/**
 * Runs `self` again while it fails with a lost connection of the database's dialect (up to the policy's attempts) or
 * because the server cannot be reached (for up to the policy's time); any other failure, or the last attempt's, is
 * the result.
 */
export const retryTransient =
  <A, E2 = never, R2 = never>(database: { readonly dialect: { readonly name: DialectName }; readonly display: string }, options: Options<A, E2, R2>) =>
  <E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | E2, R | R2> =>
    Effect.suspend(() => {
      const policy = options.policy ?? defaultPolicy
      const dialect = database.dialect.name
      const waitForServer = policy.waitForServer === undefined ? 0 : Duration.toMillis(policy.waitForServer)
      let attempt = 0
      // the attempts that lost their connection to a server that was there: those count against the policy's attempts
      let lost = 0
      // what the last failure was: a lost connection, a server out of reach (waited for by time), or anything else
      let last: "lost" | "unavailable" | "other" = "other"
      const once: Effect.Effect<A, E | E2, R | R2> = Effect.suspend(() => {
        attempt++
        if (attempt === 1 || options.committed === undefined) return self
        return Effect.flatMap(options.committed, (done) => (Option.isSome(done) ? Effect.succeed(done.value) : self))
      }).pipe(Effect.tapError((failure) =>
        Effect.sync(() => {
          last = waitForServer > 0 && isUnavailableFailure(dialect, failure)
            ? "unavailable"
            : isTransientFailure(dialect, failure)
            ? "lost"
            : "other"
          if (last === "lost") lost++
        })
      ))
      const retries = waits(policy).pipe(
        Schedule.setInputType<E | E2>(),
        Schedule.while(({ elapsed }) => last === "unavailable" ? elapsed < waitForServer : last === "lost" && lost < policy.attempts),
        Schedule.tap(({ input, duration, elapsed }) =>
          Effect.logWarning(
            `${input instanceof Error ? input.message : String(input)}: ${
              last === "unavailable" ? "the server cannot be reached" : "the connection was lost"
            }; ${options.operation} is tried again in ${Math.round(Duration.toMillis(duration))} ms (${
              last === "unavailable"
                ? `attempt ${attempt + 1}, waiting for the server ${seconds(elapsed)} so far, at most ${seconds(waitForServer)}`
                : `attempt ${lost + 1} of ${policy.attempts}`
            })`
          ).pipe(Effect.annotateLogs({ retry: options.operation, attempt: attempt + 1 }))
        )
      )
      return Effect.retry(once, retries)
    })
