/**
 * Databases for tests: embedded PGlite always, the real PostgreSQL server (a fresh database per suite, dropped
 * afterwards), and SQL Server when `HANDOVER_MSSQL_URL` names one.
 */
import { Database } from "@handover/sql"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import pg from "pg"
import { randomBytes } from "node:crypto"
import * as Context from "effect/Context"
import { Databases } from "@handover/core"

export type TestDialect = "pglite" | "postgres" | "mssql"

/** The PostgreSQL server tests use; a database of its own is created for each suite. */
export const postgresAdminUrl = () => process.env.HANDOVER_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"

export const mssqlUrl = () => process.env.HANDOVER_MSSQL_URL

/**
 * The dialects to test: `HANDOVER_TEST_DIALECTS` (comma separated), by default PGlite and PostgreSQL, plus SQL Server
 * when `HANDOVER_MSSQL_URL` is set.
 */
export const dialects = (): ReadonlyArray<TestDialect> => {
  const listed = (process.env.HANDOVER_TEST_DIALECTS ?? "pglite,postgres").split(",").map((d) => d.trim()).filter((d) => d !== "")
  const chosen = listed.filter((d): d is TestDialect => d === "pglite" || d === "postgres" || d === "mssql")
  if (mssqlUrl() !== undefined && !chosen.includes("mssql")) chosen.push("mssql")
  return chosen
}

const withUrl = (url: string, f: (client: pg.Client) => Promise<void>) =>
  Effect.promise(async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      await f(client)
    } finally {
      await client.end()
    }
  })

/** A scoped, empty PostgreSQL database on the test server; its URL. */
export const freshPostgres = Effect.acquireRelease(
  Effect.gen(function*() {
    const admin = postgresAdminUrl()
    const name = `handover_test_${randomBytes(6).toString("hex")}`
    yield* withUrl(admin, (c) => c.query(`CREATE DATABASE ${name}`).then(() => undefined))
    const url = new URL(admin)
    url.pathname = `/${name}`
    return { name, url: url.href }
  }),
  ({ name }) => withUrl(postgresAdminUrl(), (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined)).pipe(Effect.ignore)
)

/** Opens a database of the dialect for one suite. */
export const open = (dialect: TestDialect) =>
  Effect.gen(function*() {
    switch (dialect) {
      case "pglite":
        return yield* Database.openUrl("pglite://memory")
      case "postgres":
        return yield* Database.openUrl((yield* freshPostgres).url)
      case "mssql":
        return yield* Database.openUrl(mssqlUrl()!)
    }
  })

/**
 * A database of the dialect; a PostgreSQL one prints timestamps in `timeZone`, set on the database so that every
 * pooled connection has it.
 */
export const openInTimeZone = (dialect: TestDialect, timeZone: string) =>
  dialect !== "postgres" ? open(dialect) : Effect.gen(function*() {
    const fresh = yield* freshPostgres
    yield* Effect.scoped(Effect.gen(function*() {
      const admin = yield* Database.openUrl(postgresAdminUrl())
      yield* admin.use("set the time zone", (d) => d.query(`ALTER DATABASE ${fresh.name} SET timezone = '${timeZone}'`))
    }))
    return yield* Database.openUrl(fresh.url)
  })

export class TestDatabase extends Context.Service<TestDatabase, Database.Database>()("@handover/testkit/TestDatabase") {}

/** One database of the dialect, serving as test database, legacy database and target database at once. */
export const layer = (dialect: TestDialect) =>
  Layer.effectContext(
    open(dialect).pipe(
      Effect.map((db) =>
        Context.make(TestDatabase, db).pipe(
          Context.add(Databases.LegacyDatabase, db),
          Context.add(Databases.TargetDatabase, db)
        )
      ),
      Effect.orDie
    )
  )

/** Drops and recreates schemas, so each property run starts from nothing. */
export const resetSchemas = (db: Database.Database, schemas: ReadonlyArray<string>) =>
  db.use("reset schemas", async (d) => {
    for (const schema of schemas) {
      for (const statement of d.dialect.dropSchema(schema)) await d.query(statement)
    }
  })
