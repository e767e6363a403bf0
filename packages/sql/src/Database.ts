/**
 * A database connection as an Effect resource: the dialect's driver, opened from a URL and closed with its scope.
 */
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as ConnectionUrl from "./ConnectionUrl.ts"
import type { Driver } from "./Driver.ts"
import * as Hold from "./Hold.ts"
import * as PgliteDirectory from "./pglite/PgliteDirectory.ts"
import * as PgliteDriver from "./pglite/PgliteDriver.ts"
import * as PgliteHold from "./pglite/PgliteHold.ts"
import * as PostgresDriver from "./postgres/PostgresDriver.ts"
import * as PostgresHold from "./postgres/PostgresHold.ts"
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
  /** The URL it was opened from, where it was (not for a driver made elsewhere). */
  readonly url?: ConnectionUrl.ConnectionUrl | undefined
  readonly dialect: SqlDialect
  readonly driver: Driver
  /** Runs driver work, turning a rejection into a `DatabaseError` that names the operation. */
  readonly use: <A>(operation: string, f: (driver: Driver) => Promise<A>) => Effect.Effect<A, DatabaseError>
}

export const fromDriver = (display: string, driver: Driver, url?: ConnectionUrl.ConnectionUrl): Database => ({
  display,
  url,
  dialect: driver.dialect,
  driver,
  use: (operation, f) =>
    Effect.tryPromise({
      try: () => f(driver),
      catch: (cause) =>
        new DatabaseError({ operation, database: display, message: `${operation} on ${display}: ${describe(cause)}`, cause })
    })
})

const mssqlOptions = (url: Extract<ConnectionUrl.ConnectionUrl, { readonly dialect: "mssql" }>) => ({
  server: url.server,
  port: url.port,
  database: url.database,
  user: url.user,
  password: Redacted.value(url.password),
  encrypt: url.encrypt,
  trustServerCertificate: url.trustServerCertificate
})

const openDriver = (url: ConnectionUrl.ConnectionUrl): Promise<Driver> => {
  switch (url.dialect) {
    case "postgres":
      return Promise.resolve(PostgresDriver.make({ connectionString: Redacted.value(url.connectionString) }))
    case "pglite":
      return PgliteDriver.make({ dataDir: url.dataDir })
    case "mssql":
      // loaded only when a SQL Server is opened: half a second of every command's start otherwise
      return import("./mssql/MssqlDriver.ts").then((MssqlDriver) => MssqlDriver.make(mssqlOptions(url)))
  }
}

const connectFailure = (url: ConnectionUrl.ConnectionUrl) => (cause: unknown) =>
  cause instanceof Hold.HeldElsewhere
    ? cause
    : new DatabaseError({ operation: "connect", database: url.display, message: PgliteDirectory.openMessage(url, cause) ?? `cannot connect to ${url.display}: ${describe(cause)}`, cause })

/** One attempt to take a hold on the database of a URL, in its dialect's way. */
const attemptHold = (url: ConnectionUrl.ConnectionUrl, request: Hold.Request): Promise<Hold.Attempt> => {
  switch (url.dialect) {
    case "pglite":
      return PgliteHold.attempt(url.dataDir!, request, url.display)
    case "postgres":
      return PostgresHold.attempt(Redacted.value(url.connectionString), request, url.display)
    case "mssql":
      return import("./mssql/MssqlHold.ts").then((MssqlHold) => MssqlHold.attempt(mssqlOptions(url), request, url.display))
  }
}

/** Whether a request holds a database of this URL: a write always, a read only an embedded folder. */
const holds = (url: ConnectionUrl.ConnectionUrl, request: Hold.Request) =>
  url.dialect === "pglite" ? url.dataDir !== undefined : request.mode === "write"

/** Takes a hold (waiting as the request says), released when the scope closes. */
const acquireHold = (url: ConnectionUrl.ConnectionUrl, request: Hold.Request) =>
  Effect.acquireRelease(
    Effect.tryPromise({ try: () => Hold.acquire(url.display, request, () => attemptHold(url, request)), catch: connectFailure(url) }),
    (active) => Effect.promise(() => active.release().catch(() => undefined))
  )

/**
 * A driver whose transactions check every hold on its database before they commit: a hold lost part way is taken
 * again, or the transaction fails and nothing more is written.
 */
const guarded = (driver: Driver, active: ReadonlyArray<Hold.Active>): Driver =>
  active.length === 0 ? driver : {
    ...driver,
    transaction: (f) =>
      driver.transaction(async (connection) => {
        const result = await f(connection)
        for (const hold of active) await hold.verify(connection)
        return result
      })
  }

/**
 * Opens a database and checks that it answers; closed when the scope closes. With a hold, the database is held
 * first (an embedded folder before it is opened at all) and released after it closes; a database another command
 * holds fails with `HeldElsewhere`.
 */
export const open = (
  url: ConnectionUrl.ConnectionUrl,
  hold?: Hold.Request
): Effect.Effect<Database, DatabaseError | Hold.HeldElsewhere, Scope.Scope> =>
  Effect.gen(function*() {
    const active: Array<Hold.Active> = []
    if (hold !== undefined && holds(url, hold)) {
      // an embedded folder is held before PGlite opens it; a server is held once it answers (below)
      if (url.dialect === "pglite") active.push(yield* acquireHold(url, hold))
    }
    const driver = yield* Effect.acquireRelease(
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
        catch: connectFailure(url)
      }),
      (driver) => Effect.promise(() => driver.close().catch(() => undefined))
    )
    if (hold !== undefined && holds(url, hold) && url.dialect !== "pglite") active.push(yield* acquireHold(url, hold))
    return fromDriver(url.display, guarded(driver, active), url)
  })

/**
 * Holds a database already open, for the rest of the scope: on a server, a second hold (another key, such as the
 * legacy estate before it is generated); an embedded folder is held whole from its opening already.
 */
export const hold = (database: Database, request: Hold.Request): Effect.Effect<Database, DatabaseError | Hold.HeldElsewhere, Scope.Scope> =>
  Effect.gen(function*() {
    const url = database.url
    if (url === undefined || url.dialect === "pglite") return database
    const active = yield* acquireHold(url, { ...request, mode: "write" })
    return fromDriver(database.display, guarded(database.driver, [active]), url)
  })

/** Opens a database from URL text. */
export const openUrl = (
  text: string,
  hold?: Hold.Request
): Effect.Effect<Database, DatabaseError | Hold.HeldElsewhere | ConnectionUrl.InvalidConnectionUrl, Scope.Scope> =>
  Effect.try({
    try: () => ConnectionUrl.parse(text),
    catch: (error) =>
      error instanceof ConnectionUrl.InvalidConnectionUrl
        ? error
        : new ConnectionUrl.InvalidConnectionUrl({ message: String(error) })
  }).pipe(Effect.flatMap((url) => open(url, hold)))
