/**
 * A target that holds rows Handover did not write. In the engine, on every test database: after a SWIFT run nothing
 * is foreign; a row added to a main table two entities share (client charges), to a companion table (package line
 * items) or to a reference table (code lists) is found and counted, and so is every row of target tables with no
 * control schema; `purge --run` refuses while such a row is there, and once it is gone removes exactly the run's rows —
 * the counts found before, table by table — while the rows of another pipeline's run in the same database stay.
 * Through the command line: `migrate` and `rehearse` refuse such a target with exit 2, one line naming the table and
 * its count, and change nothing; `--allow-foreign-rows` loads it (the new run replaces those rows), after which the
 * target is Handover's own and is accepted.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Databases, ForeignRows, Purge, Rehearsal } from "@handover/core"
import { ExampleEstate, SwiftDefects, SwiftEstate } from "@handover/fixtures"
import { ExamplePipeline, TargetTables as ExampleTables } from "@handover/pipeline-example"
import { Database, Table } from "@handover/sql"
import { SwiftPipeline, TargetTables } from "@handover/swift-to-ias"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { handover } from "./command.ts"

const swift = SwiftPipeline.pipeline
const swiftOptions: Rehearsal.Options = {
  rehearsal: "foreign",
  targetSchema: "ias",
  legacySchema: "swift",
  batchSize: 500,
  parameters: { cutoverDate: SwiftPipeline.defaultCutoverDate }
}

const count = (db: Database.Database, table: Table.Table, where = "") =>
  db.use("count", async (d) => Number((await d.queryText(`SELECT COUNT(*) FROM ${d.dialect.qualify(table)} ${where}`))[0]![0]))

/** Adds a copy of one of the table's rows under new values for the given columns (its key among them). */
const addCopy = (db: Database.Database, table: Table.Table, values: Readonly<Record<string, string>>) =>
  db.use("add a row Handover did not load", async (d) => {
    const q = d.dialect.quoteIdentifier
    const p = d.dialect.placeholder
    const params: Array<string> = []
    const select = table.columns.map((c) => {
      if (!(c.name in values)) return q(c.name)
      params.push(values[c.name]!)
      return p(params.length)
    })
    const key = table.primaryKey.map(q)
    const [first] = await d.queryText(`SELECT ${key.join(", ")} FROM ${d.dialect.qualify(table)} ORDER BY ${key.join(", ")}`)
    const where = key.map((k, i) => `${k} = ${p(params.length + i + 1)}`).join(" AND ")
    await d.query(
      `INSERT INTO ${d.dialect.qualify(table)} (${table.columns.map((c) => q(c.name)).join(", ")}) SELECT ${select.join(", ")} FROM ${
        d.dialect.qualify(table)
      } WHERE ${where}`,
      [...params, ...first!]
    )
  })

const remove = (db: Database.Database, table: Table.Table, column: string, value: string) =>
  db.use("remove a row", (d) => d.query(`DELETE FROM ${d.dialect.qualify(table)} WHERE ${d.dialect.quoteIdentifier(column)} = ${d.dialect.placeholder(1)}`, [value]))

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "180 seconds", excludeTestServices: true })(`rows Handover did not load, on ${dialect}`, (it) => {
    it.effect("are found table by table; purge refuses them, then removes exactly the run's rows and nothing of another pipeline", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* TestDatabase.resetSchemas(db, ["swift", "ias", "legacy", "example", "handover"])
        yield* SwiftEstate.load(db, "swift", { seed: 5, clients: 60, rates: SwiftDefects.rates({}) })
        yield* ExampleEstate.load(db, "legacy", ExampleEstate.generate({ seed: 5, clients: 50, rates: ExampleEstate.defaultRates }))
        const example = yield* Rehearsal.run(ExamplePipeline.pipeline, { rehearsal: "other", targetSchema: "example", legacySchema: "legacy", batchSize: 100 })
        const run = yield* Rehearsal.run(swift, swiftOptions)
        const find = (runIds?: ReadonlyArray<string>) => ForeignRows.find(db, swift, { targetSchema: "ias", runIds })
        assert.deepStrictEqual(yield* find(), [])
        assert.deepStrictEqual(yield* find([run.runId]), [])

        const placed = (t: Table.Table) => Table.inSchema(t, "ias")
        const before = Object.fromEntries(yield* Effect.forEach(swift.targetTables, (t) => Effect.map(count(db, placed(t)), (n) => [t.name, n] as const)))
        const examplePeople = yield* count(db, Table.inSchema(ExampleTables.person, "example"))
        assert.isAbove(before[TargetTables.clientCharge.name]!, 0)
        assert.isAbove(before[TargetTables.carePackageLineItem.name]!, 0)
        assert.isAbove(examplePeople, 0)

        // a charge, a line item of a service no run loaded, and a code no code list has
        yield* addCopy(db, placed(TargetTables.clientCharge), { charge_id: "foreign-charge" })
        yield* addCopy(db, placed(TargetTables.carePackageLineItem), { cpli_id: "foreign-line", service_id: "foreign-service" })
        yield* addCopy(db, placed(TargetTables.refCode), { code: "FOREIGN" })
        const expected = [
          { table: `ias.${TargetTables.refCode.name}`, rows: 1 },
          { table: `ias.${TargetTables.carePackageLineItem.name}`, rows: 1 },
          { table: `ias.${TargetTables.clientCharge.name}`, rows: 1 }
        ]
        const byName = (f: ReadonlyArray<ForeignRows.Foreign>) => [...f].sort((a, b) => a.table.localeCompare(b.table))
        assert.deepStrictEqual(byName(yield* find()), byName(expected))
        assert.deepStrictEqual(byName(yield* find([run.runId])), byName(expected))
        // accounted for by no run at all: every row of the main and companion tables is foreign
        const none = yield* find(["no-such-run"])
        assert.strictEqual(none.find((f) => f.table === `ias.${TargetTables.person.name}`)?.rows, before[TargetTables.person.name])

        const purge = (runId: string) =>
          Purge.purge(swift, { runId, targetSchema: "ias" }).pipe(Effect.provide(Layer.succeed(Databases.TargetDatabase, db)))
        const refused = yield* Effect.exit(purge(run.runId))
        assert.isTrue(Exit.isFailure(refused))
        for (const f of expected) assert.include(JSON.stringify(refused), `${f.table} (1 row)`)
        assert.strictEqual(yield* count(db, placed(TargetTables.person)), before[TargetTables.person.name])

        yield* remove(db, placed(TargetTables.clientCharge), "charge_id", "foreign-charge")
        yield* remove(db, placed(TargetTables.carePackageLineItem), "cpli_id", "foreign-line")
        yield* remove(db, placed(TargetTables.refCode), "code", "FOREIGN")
        const purged = yield* purge(run.runId)
        assert.deepStrictEqual(purged.removed, before)
        for (const t of swift.targetTables) assert.strictEqual(yield* count(db, placed(t)), 0, t.name)
        // another pipeline's load in the same database is untouched
        assert.strictEqual(yield* count(db, Table.inSchema(ExampleTables.person, "example")), examplePeople)
        assert.deepStrictEqual(yield* ForeignRows.find(db, ExamplePipeline.pipeline, { targetSchema: "example" }), [])
        const exampleRun = yield* db.use("status", (d) => d.queryText(`SELECT status FROM handover.run WHERE run_id = ${d.dialect.placeholder(1)}`, [example.runId]))
        assert.strictEqual(exampleRun[0]![0], "completed")
      }))

    it.effect("every row of target tables with no control schema is foreign", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* TestDatabase.resetSchemas(db, ["lonely", "lonely_control"])
        yield* db.use("a target someone else filled", async (d) => {
          await d.query(d.dialect.createSchema("lonely"))
          for (const t of ExampleTables.all) await d.query(d.dialect.createTable(Table.inSchema(t, "lonely")))
          await d.transaction((c) =>
            c.writeRows(Table.inSchema(ExampleTables.person, "lonely"), [
              ["p-1", null, "Ann", "Other", "1950-01-01", "female"],
              ["p-2", null, "Bob", "Other", "1951-01-01", "male"]
            ]))
        })
        const found = yield* ForeignRows.find(db, ExamplePipeline.pipeline, { targetSchema: "lonely", controlSchema: "lonely_control" })
        assert.deepStrictEqual(found, [{ table: "lonely.person", rows: 2 }])
        const refused = yield* Effect.exit(ForeignRows.refuse(db, ExamplePipeline.pipeline, { targetSchema: "lonely", controlSchema: "lonely_control" }))
        assert.isTrue(Exit.isFailure(refused))
        assert.include(JSON.stringify(refused), "lonely.person (2 rows)")
        // and nothing at all where the tables are not there yet
        assert.deepStrictEqual(yield* ForeignRows.find(db, ExamplePipeline.pipeline, { targetSchema: "nowhere", controlSchema: "lonely_control" }), [])
      }))
  })
}

describe("the pipelines", () => {
  it("tell every target row's owner: companion tables carry their main table's key", () => {
    for (const pipeline of [SwiftPipeline.pipeline, ExamplePipeline.pipeline]) {
      const owners = ForeignRows.owners(pipeline)
      assert.strictEqual(owners.size, pipeline.targetTables.length, pipeline.name)
      for (const table of pipeline.targetTables) assert.notStrictEqual(owners.get(table.name)?._tag, "none", `${pipeline.name}: ${table.name}`)
    }
  })
})




describe("the command", () => {
  const dialect = TestDatabase.dialects().includes("postgres") ? "postgres" : "pglite"
  it.live(`refuses a target holding rows Handover did not load, unless told (${dialect})`, () =>
    Effect.gen(function*() {
      const cwd = yield* Effect.promise(() => mkdtemp(path.join(tmpdir(), "handover-foreign-")))
      yield* Effect.addFinalizer(() => Effect.promise(() => rm(cwd, { recursive: true, force: true })))
      const [legacyUrl, targetUrl] = dialect === "postgres"
        ? [(yield* TestDatabase.freshPostgres).url, (yield* TestDatabase.freshPostgres).url]
        : [`pglite://${cwd}/legacy`, `pglite://${cwd}/target`]
      const person = Table.inSchema(ExampleTables.person, "example")
      // a legacy estate, and a target whose person table someone else filled, with no control schema
      yield* Effect.scoped(Effect.gen(function*() {
        const legacy = yield* Database.openUrl(legacyUrl)
        yield* ExampleEstate.load(legacy, undefined, ExampleEstate.generate({ seed: 9, clients: 40, rates: {} }))
        const target = yield* Database.openUrl(targetUrl)
        yield* target.use("someone else's rows", async (d) => {
          await d.query(d.dialect.createSchema("example"))
          for (const t of ExampleTables.all) await d.query(d.dialect.createTable(Table.inSchema(t, "example")))
          await d.transaction((c) => c.writeRows(person, [["theirs-1", null, "Not", "Ours", "1950-01-01", "unknown"]]))
        })
      }))
      const args = (command: string, ...more: ReadonlyArray<string>) =>
        [command, "--pipeline", "example", "--legacy", legacyUrl, "--target", targetUrl, "--reports", `${cwd}/reports`, "--manifest", `${cwd}/manifest.jsonl`, ...more]
      const peopleIn = () =>
        Effect.scoped(Effect.flatMap(Database.openUrl(targetUrl), (target) =>
          Effect.zip(count(target, person), count(target, person, "WHERE person_id = 'theirs-1'"))))

      for (const command of ["migrate", "rehearse"]) {
        const refused = yield* Effect.promise(() => handover(args(command), cwd))
        const said = `${command}: exit ${refused.code}\n${refused.stderr}`
        assert.strictEqual(refused.code, 2, said)
        const lines = refused.stderr.trimEnd().split("\n")
        assert.strictEqual(lines.length, 1, said)
        assert.match(lines[0]!, /^handover: .*holds rows that no Handover rehearsal loaded: example\.person \(1 row\)\..*--allow-foreign-rows/, said)
        assert.deepStrictEqual(yield* peopleIn(), [1, 1], said)
      }

      const allowed = yield* Effect.promise(() => handover(args("migrate", "--allow-foreign-rows"), cwd))
      assert.strictEqual(allowed.code, 0, allowed.stderr)
      const [people, theirs] = yield* peopleIn()
      assert.isAbove(people, 0)
      assert.strictEqual(theirs, 0, "the new run replaced the rows it was allowed to")

      // now every row is Handover's: the next migration needs no flag
      const again = yield* Effect.promise(() => handover(args("migrate"), cwd))
      assert.strictEqual(again.code, 0, again.stderr)
      assert.deepStrictEqual(yield* peopleIn(), [people, 0])
    }).pipe(Effect.scoped), { timeout: 180_000 })
})
