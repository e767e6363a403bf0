/**
 * SQL Server, live: runs only when `HANDOVER_MSSQL_URL` names a server (e.g.
 * `mssql://sa:password@localhost:1433/master?trustServerCertificate=true`). Everything it creates lives in a schema of
 * its own, dropped afterwards.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { randomBytes } from "node:crypto"
import * as ControlSchema from "../src/ControlSchema.ts"
import * as Database from "../src/Database.ts"
import type { SqlValue, TextRow } from "../src/Driver.ts"
import * as Table from "../src/Table.ts"
import { everyTypeTable } from "./support.ts"

const url = process.env.HANDOVER_MSSQL_URL

const suffix = randomBytes(4).toString("hex")
const schema = `handover_test_${suffix}`
const controlSchema = `handover_control_${suffix}`

const everyType = everyTypeTable(schema, "every type", ["id"])
const columns = Table.columnNames(everyType)

/** A row of every type, and the text SQL Server gives back for it (CONVERT style 121). */
const row = (id: number): { readonly values: ReadonlyArray<SqlValue>; readonly text: TextRow } => {
  const big = 3_000_000_000 + id
  const name = `O'Brien ${id}\té 😀 [x]`
  const day = String(1 + (id % 28)).padStart(2, "0")
  const flag = id % 3 === 0
  const note = id % 2 === 0 ? null : `note ${id}`
  return {
    values: [id, big, name, `C${id}`, `${id}.5`, `2024-02-${day}`, `2024-02-${day}T13:14:15.678Z`, flag, note],
    text: [String(id), String(big), name, `C${id}`, `${id}.50`, `2024-02-${day}`, `2024-02-${day} 13:14:15.678 +00:00`, flag ? "1" : "0", note]
  }
}

const rows = (ids: ReadonlyArray<number>) => ids.map(row)
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)

describe.skipIf(url === undefined)("SQL Server (live)", () => {
  let scope: Scope.Closeable | undefined
  let db: Database.Database | undefined

  const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

  /** The whole table, read with keyset pages of `limit` rows. */
  const readAll = async (limit: number): Promise<Array<TextRow>> => {
    const d = db!.driver
    const out: Array<TextRow> = []
    let after: ReadonlyArray<string> | undefined
    for (;;) {
      const page = d.dialect.keysetPage({ table: everyType, columns, key: ["id"], after, limit })
      const got = await d.queryText(page.sql, page.params)
      out.push(...got)
      if (got.length < limit) return out
      after = [String(got.at(-1)![0])]
    }
  }

  beforeAll(async () => {
    scope = await run(Scope.make())
    db = await run(Scope.provide(scope)(Database.openUrl(url!)))
    const d = db.driver
    // both statements are guarded: running them twice changes nothing
    for (let i = 0; i < 2; i++) {
      await d.query(d.dialect.createSchema(schema))
      await d.query(d.dialect.createTable(everyType))
    }
  })

  afterAll(async () => {
    if (db !== undefined) {
      for (const s of [schema, controlSchema]) {
        for (const statement of db.dialect.dropSchema(s)) await db.driver.query(statement).catch(() => undefined)
      }
    }
    if (scope !== undefined) await run(Scope.close(scope, Exit.void))
  })

  it("writes rows below and above the bulk threshold in one transaction and reads them back with keyset pages", async () => {
    const d = db!.driver
    const small = rows(range(1, 49))
    const large = rows(range(1000, 500))
    await d.transaction(async (c) => {
      await c.writeRows(everyType, small.map((r) => r.values))
      await c.writeRows(everyType, large.map((r) => r.values))
    })
    const expected = [...small, ...large].map((r) => r.text)
    for (const limit of [1000, 100, 7]) {
      assert.deepStrictEqual(await readAll(limit), expected)
    }
  })

  it("a rolled-back transaction leaves nothing behind", async () => {
    const d = db!.driver
    const before = await readAll(1000)
    const failure = new Error("roll back")
    let caught: unknown
    try {
      await d.transaction(async (c) => {
        await c.writeRows(everyType, rows(range(5000, 10)).map((r) => r.values))
        await c.writeRows(everyType, rows(range(6000, 120)).map((r) => r.values))
        throw failure
      })
    } catch (error) {
      caught = error
    }
    assert.strictEqual(caught, failure)
    assert.deepStrictEqual(await readAll(1000), before)
  })

  it("migrates the control schema, and a second migration does nothing", async () => {
    const database = db!
    const first = await run(ControlSchema.migrate(database, controlSchema))
    // every migration of the control schema, in order, each once
    const expected = Object.keys(ControlSchema.migrations(controlSchema, database.dialect)).sort()
    assert.deepStrictEqual(first.map((r) => [r.migrationName, r.status]), expected.map((name) => [name, "Success"]))
    const second = await run(ControlSchema.migrate(database, controlSchema))
    assert.deepStrictEqual(second, [])
    const tables = await database.driver.queryText(
      `SELECT t.name FROM sys.tables t JOIN sys.schemas s ON t.schema_id = s.schema_id WHERE s.name = @1 ORDER BY t.name`,
      [controlSchema]
    )
    const names = tables.map((r) => r[0])
    for (const table of Object.values(ControlSchema.tables(controlSchema))) assert.include(names, table.name)
  })
})
