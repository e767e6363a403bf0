/**
 * Injection through every configured name, on every test database: the target, control and legacy schemas of a
 * rehearsal, a reconciliation and a purge, and the control schema of the ledger's migration. Each hostile name is
 * refused with a clear error before any statement uses it, and the database's catalogue — every schema and table, a
 * canary table and its row — is the same afterwards. A legacy schema whose real name is hostile is found in the
 * catalogue and read, quoted, without harm; a legacy table that is missing is named.
 */
import { assert, layer } from "@effect/vitest"
import { Databases, Purge, Rehearsal } from "@handover/core"
import { ExampleEstate } from "@handover/fixtures"
import { Reconcile } from "@handover/reconcile"
import { LegacyTables } from "@handover/pipeline-example"
import { ControlSchema, Table, type Database, type Driver } from "@handover/sql"
import { HostileNames, TestDatabase } from "@handover/testkit"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { controlSchema, legacySchema, options, pipeline, reset, targetSchema } from "./support.ts"

const canarySchema = "canary_home"

/** Every schema and table the database holds, outside the system's own, and the canary's rows. */
const catalogue = (db: Database.Database) =>
  db.use("read the catalogue", async (d) => ({
    schemas: (await d.queryText("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname NOT LIKE 'pg\\_%' ORDER BY 1")).map((r) => r[0]),
    tables: (await d.queryText(
      "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
    )).map((r) => `${r[0]}.${r[1]}`),
    canary: (await d.queryText(`SELECT note FROM ${d.dialect.qualify({ schema: canarySchema, name: "canary" })}`)).map((r) => r[0]),
    plainCanary: (await d.queryText(`SELECT note FROM ${d.dialect.qualify({ schema: targetSchema, name: "canary" })}`)).map((r) => r[0])
  }))

/** The error a refused attempt failed with. */
const failureOf = (exit: Exit.Exit<unknown, unknown>): { _tag?: string; message?: string } => {
  assert.isTrue(Exit.isFailure(exit), "the attempt should have been refused")
  return Exit.isFailure(exit) ? (Cause.squash(exit.cause) as { _tag?: string; message?: string }) : {}
}

// the catalogue and canaries are read in PostgreSQL's SQL; SQL Server's catalogue queries are tested as text
for (const dialect of TestDatabase.dialects().filter((d) => d !== "mssql")) {
  layer(TestDatabase.layer(dialect), { timeout: "120 seconds", excludeTestServices: true })(`configured names on ${dialect}`, (it) => {
    it.effect("every hostile name in every configured place is refused, and nothing is created or dropped", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* reset(db)
        yield* TestDatabase.resetSchemas(db, [canarySchema])
        yield* ExampleEstate.load(db, legacySchema, ExampleEstate.generate({ seed: 4, clients: 60, rates: ExampleEstate.defaultRates }))
        const first = yield* Rehearsal.run(pipeline, options("names", 50))
        yield* db.use("plant canaries", async (d) => {
          await d.query(d.dialect.createSchema(canarySchema))
          for (const schema of [canarySchema, targetSchema]) {
            await d.query(`CREATE TABLE ${d.dialect.qualify({ schema, name: "canary" })} (note text)`)
            await d.query(`INSERT INTO ${d.dialect.qualify({ schema, name: "canary" })} (note) VALUES ($1)`, ["still here"])
          }
        })
        const before = yield* catalogue(db)
        const target = Layer.succeed(Databases.TargetDatabase, db)

        const places: ReadonlyArray<readonly [string, (name: string) => Effect.Effect<unknown, unknown, Databases.LegacyDatabase | Databases.TargetDatabase>]> = [
          ["rehearsal target schema", (name) => Rehearsal.run(pipeline, { ...options("names", 50), targetSchema: name })],
          ["rehearsal control schema", (name) => Rehearsal.run(pipeline, { ...options("names", 50), controlSchema: name })],
          ["rehearsal legacy schema", (name) => Rehearsal.run(pipeline, { ...options("names", 50), legacySchema: name })],
          ["reconciliation target schema", (name) => Reconcile.run(pipeline, { rehearsal: "names", legacySchema, targetSchema: name, controlSchema })],
          ["reconciliation control schema", (name) => Reconcile.run(pipeline, { rehearsal: "names", legacySchema, targetSchema, controlSchema: name })],
          ["reconciliation legacy schema", (name) => Reconcile.run(pipeline, { rehearsal: "names", legacySchema: name, targetSchema, controlSchema })],
          ["purge target schema", (name) => Purge.purge(pipeline, { runId: first.runId, targetSchema: name, controlSchema }).pipe(Effect.provide(target))],
          ["purge control schema", (name) => Purge.purge(pipeline, { runId: first.runId, targetSchema, controlSchema: name }).pipe(Effect.provide(target))],
          ["control schema migration", (name) => ControlSchema.migrate(db, name)]
        ]
        let refused = 0
        for (const [place, attempt] of places) {
          for (const name of HostileNames.hostileNames) {
            const error = failureOf(yield* Effect.exit(attempt(name)))
            assert.strictEqual(error._tag, "InvalidName", `${place} ${JSON.stringify(name)}: ${error.message}`)
            assert.match(error.message ?? "", /schema ".*" (must be|is a schema|does not exist|holds a control|is empty|is longer)|not found in schema ".*"/, `${place}: ${error.message}`)
            refused++
          }
        }
        assert.deepStrictEqual(yield* catalogue(db), before)
        // the run's load is untouched: the purge attempts changed nothing
        const steps = yield* Effect.gen(function*() {
          const again = yield* Rehearsal.run(pipeline, options("names", 50))
          return again.steps
        })
        assert.deepStrictEqual(steps, first.steps)
        console.log(`${dialect}: ${refused} attempts through ${places.length} configured names refused, catalogue unchanged`)
      }))

    it.effect("a legacy schema whose real name is hostile is found in the catalogue and read, quoted, without harm", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        const hostile = "legacy\"; DROP TABLE canary; --"
        yield* reset(db)
        yield* TestDatabase.resetSchemas(db, [hostile, canarySchema])
        yield* ExampleEstate.load(db, hostile, ExampleEstate.generate({ seed: 4, clients: 40, rates: ExampleEstate.defaultRates }))
        yield* ExampleEstate.load(db, legacySchema, ExampleEstate.generate({ seed: 4, clients: 40, rates: ExampleEstate.defaultRates }))
        const plain = yield* Rehearsal.run(pipeline, options("plain", 25))
        const quoted = yield* Rehearsal.run(pipeline, { ...options("quoted", 25), legacySchema: hostile })
        assert.deepStrictEqual(quoted.steps, plain.steps)
        yield* TestDatabase.resetSchemas(db, [hostile])
      }))

    it.effect("a legacy table without a primary key whose keys repeat or are empty is refused, naming them, before anything is written", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        const client = Table.inSchema({ ...LegacyTables.client, primaryKey: [], columns: LegacyTables.client.columns.map((c) => ({ ...c, nullable: true })) }, legacySchema)
        const row = (no: number | null, name: string) => [no, name, "Smith", "1950-01-01", null, "F", "ASC", null]
        const load = (rows: ReadonlyArray<ReadonlyArray<Driver.SqlValue>>) =>
          Effect.gen(function*() {
            yield* reset(db)
            yield* db.use("an extract without a key", async (d) => {
              await d.query(d.dialect.createSchema(legacySchema))
              await d.query(d.dialect.createTable(client))
              await d.query(d.dialect.createTable(Table.inSchema(LegacyTables.carePackage, legacySchema)))
              await d.transaction((c) => c.writeRows(client, rows))
            })
          })
        for (const [rows, shown] of [
          [[row(7, "Ann"), row(8, "Bea"), row(7, "Cat")], "\"7\""],
          [[row(7, "Ann"), row(null, "Bea")], "NULL"]
        ] as const) {
          yield* load(rows)
          const error = failureOf(yield* Effect.exit(Rehearsal.run(pipeline, options("repeats", 1))))
          assert.strictEqual(error._tag, "InvalidName", error.message)
          assert.include(error.message ?? "", `the legacy table "ex_client" has keys (client_no)`)
          assert.include(error.message ?? "", `such as ${shown}`)
          const schemas = yield* db.use("schemas", (d) => d.queryText("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname IN ($1, $2)", [targetSchema, controlSchema]))
          assert.deepStrictEqual(schemas, [])
        }
        // the same extract with every key once migrates, primary key or not
        yield* load([row(7, "Ann"), row(8, "Bea"), row(9, "Cat")])
        const result = yield* Rehearsal.run(pipeline, options("repeats", 1))
        assert.strictEqual(result.steps.find((s) => s.entity === "client")!.counts.read, 3)
      }))

    it.effect("a legacy table the pipeline reads that is not in the legacy schema is named before anything is written", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* reset(db)
        yield* ExampleEstate.load(db, legacySchema, ExampleEstate.generate({ seed: 4, clients: 20, rates: ExampleEstate.defaultRates }))
        yield* db.use("drop a legacy table", (d) => d.query(`DROP TABLE ${d.dialect.qualify({ schema: legacySchema, name: "ex_care_package" })}`))
        const error = failureOf(yield* Effect.exit(Rehearsal.run(pipeline, options("missing", 25))))
        assert.strictEqual(error._tag, "InvalidName")
        assert.include(error.message ?? "", "\"ex_care_package\" not found in schema \"legacy\"")
        // nothing was created: no control schema, no target schema
        const schemas = yield* db.use("schemas", (d) => d.queryText("SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname IN ($1, $2)", [targetSchema, controlSchema]))
        assert.deepStrictEqual(schemas, [])
      }))
  })
}
