/**
 * Work that a lost connection interrupted, tried again: a batch whose connection the server dropped half way is rolled
 * back with it, so it can be run again whole on a new connection. Each dialect says which of its errors mean a lost
 * connection (`postgres/PostgresErrors.ts`, `mssql/MssqlErrors.ts`; PGlite runs in the process and has none to lose);
 * every other error fails at once. Attempts are spaced exponentially with jitter (100 ms, 200 ms, 400 ms … by default)
 * and bounded (5 in all by default), and each new attempt is logged as a warning.
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

/** Whether a failure is a `DatabaseError` whose cause means the connection was lost. */
export const isTransientFailure = (dialect: DialectName, failure: unknown): failure is DatabaseError =>
  failure instanceof DatabaseError && isTransient(dialect, failure.cause)

export interface Policy {
  /** Attempts in all, the first included. */
  readonly attempts: number
  /** The wait before the second attempt; each later wait doubles, with jitter. */
  readonly base: Duration.Input
}

export const defaultPolicy: Policy = { attempts: 5, base: "100 millis" }

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

/**
 * Runs `self` again, on the policy's schedule, while it fails with a lost connection of the database's dialect; any
 * other failure, or the last attempt's, is the result.
 */
export const retryTransient =
  <A, E2 = never, R2 = never>(database: { readonly dialect: { readonly name: DialectName }; readonly display: string }, options: Options<A, E2, R2>) =>
  <E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | E2, R | R2> =>
    Effect.suspend(() => {
      const policy = options.policy ?? defaultPolicy
      const dialect = database.dialect.name
      let attempt = 0
      const once: Effect.Effect<A, E | E2, R | R2> = Effect.suspend(() => {
        attempt++
        if (attempt === 1 || options.committed === undefined) return self
        return Effect.flatMap(options.committed, (done) => (Option.isSome(done) ? Effect.succeed(done.value) : self))
      })
      const retries = schedule(policy).pipe(
        Schedule.setInputType<E | E2>(),
        Schedule.while(({ input }) => isTransientFailure(dialect, input)),
        Schedule.tap(({ input, duration }) =>
          Effect.logWarning(
            `${input instanceof Error ? input.message : String(input)}: the connection was lost; ${options.operation} is tried again in ${
              Math.round(Duration.toMillis(duration))
            } ms (attempt ${attempt + 1} of ${policy.attempts})`
          ).pipe(Effect.annotateLogs({ retry: options.operation, attempt: attempt + 1 }))
        )
      )
      return Effect.retry(once, retries)
    })
