/**
 * A database connection as an Effect resource: the dialect's driver, opened from a URL and closed with its scope.
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as ConnectionUrl from "./ConnectionUrl.ts"
import type { Driver } from "./Driver.ts"
import * as PgliteDriver from "./pglite/PgliteDriver.ts"
import * as PostgresDriver from "./postgres/PostgresDriver.ts"
import type { SqlDialect } from "./SqlDialect.ts"

export class DatabaseError extends Schema.TaggedError<DatabaseError>()("DatabaseError", {
  operation: Schema.String,
  database: Schema.String,
  message: Schema.String,
  cause: Schema.Defect()
}) {}

const describe = (cause: unknown): string => {
  if (cause instanceof AggregateError && cause.errors.length > 0) return describe(cause.errors[0])
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code
    return cause.message !== "" ? cause.message : typeof code === "string" ? code : cause.name
  }
  return String(cause)
}

export interface Database {
  /** The URL with its password hidden. */
  readonly display: string
  readonly dialect: SqlDialect
  readonly driver: Driver
  /** Runs driver work, turning a rejection into a `DatabaseError` that names the operation. */
  readonly use: <A>(operation: string, f: (driver: Driver) => Promise<A>) => Effect.Effect<A, DatabaseError>
}

export const fromDriver = (display: string, driver: Driver): Database => ({
  display,
  dialect: driver.dialect,
  driver,
  use: (operation, f) =>
    Effect.tryPromise({
      try: () => f(driver),
      catch: (cause) =>
        new DatabaseError({ operation, database: display, message: `${operation} on ${display}: ${describe(cause)}`, cause })
    })
})

const openDriver = (url: ConnectionUrl.ConnectionUrl): Promise<Driver> => {
  switch (url.dialect) {
    case "postgres":
      return Promise.resolve(PostgresDriver.make({ connectionString: Redacted.value(url.connectionString) }))
    case "pglite":
      return PgliteDriver.make({ dataDir: url.dataDir })
    case "mssql":
      // loaded only when a SQL Server is opened: half a second of every command's start otherwise
      return import("./mssql/MssqlDriver.ts").then((MssqlDriver) => MssqlDriver.make({
        server: url.server,
        port: url.port,
        database: url.database,
        user: url.user,
        password: Redacted.value(url.password),
        encrypt: url.encrypt,
        trustServerCertificate: url.trustServerCertificate
      }))
  }
}

/** Opens a database and checks that it answers; closed when the scope closes. */
export const open = (url: ConnectionUrl.ConnectionUrl): Effect.Effect<Database, DatabaseError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const driver = await openDriver(url)
        try {
          await driver.query("SELECT 1 AS ok")
        } catch (error) {
          await driver.close().catch(() => {})
          throw error
        }
        return driver
      },
      catch: (cause) =>
        new DatabaseError({
          operation: "connect",
          database: url.display,
          message: `cannot connect to ${url.display}: ${describe(cause)}`,
          cause
        })
    }),
    (driver) => Effect.promise(() => driver.close().catch(() => undefined))
  ).pipe(Effect.map((driver) => fromDriver(url.display, driver)))

/** Opens a database from URL text. */
export const openUrl = (text: string): Effect.Effect<Database, DatabaseError | ConnectionUrl.InvalidConnectionUrl, Scope.Scope> =>
  Effect.try({
    try: () => ConnectionUrl.parse(text),
    catch: (error) =>
      error instanceof ConnectionUrl.InvalidConnectionUrl
        ? error
        : new ConnectionUrl.InvalidConnectionUrl({ message: String(error) })
  }).pipe(Effect.flatMap(open))
