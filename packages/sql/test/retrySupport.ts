/**
 * Pieces the retry tests share: driver errors of a given code, failures carrying them, and running an effect while
 * collecting the warnings it logs.
 */
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import { DatabaseError } from "../src/Database.ts"

/** An error as a driver raises it, with its code. */
export const withCode = (message: string, code: string) => Object.assign(new Error(message), { code })

/** A failed database operation caused by the given error. */
export const failure = (cause: unknown) => new DatabaseError({ operation: "load", database: "db", message: `load on db: ${String(cause)}`, cause })

/** A PostgreSQL database, as the retry sees one. */
export const postgres = { dialect: { name: "postgres" as const }, display: "postgres://db" }

/** Runs an effect, collecting the warnings it logs. */
export const withWarnings = <A, E>(effect: Effect.Effect<A, E>) => {
  const warnings: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    if (logLevel === "Warn") warnings.push((Array.isArray(message) ? message : [message]).join(" "))
  })
  return Effect.result(effect).pipe(
    Effect.provide(Logger.layer([logger])),
    Effect.map((result) => ({ result, warnings }))
  )
}

/** An effect that fails with the given failures in turn, then succeeds with the attempt's number. */
export const failing = (failures: ReadonlyArray<DatabaseError>) => {
  let attempts = 0
  return {
    attempts: () => attempts,
    effect: Effect.suspend(() => {
      attempts++
      return attempts <= failures.length ? Effect.fail(failures[attempts - 1]!) : Effect.succeed(attempts)
    })
  }
}
