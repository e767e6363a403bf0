/**
 * Keyset reads on real databases: page by page, feeding back the last key, every row comes exactly once and in the
 * database's own key order; and PostgreSQL's COPY read resumes at the same place.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as CopyText from "../src/CopyText.ts"
import * as Driver from "../src/Driver.ts"
import type { TextRow } from "../src/Driver.ts"
import * as PgliteDriver from "../src/pglite/PgliteDriver.ts"
import * as PostgresDriver from "../src/postgres/PostgresDriver.ts"
import * as Table from "../src/Table.ts"
import { collect, everyTypeTable, freshPostgres, testsDialect } from "./support.ts"

const runs = Number(process.env.HANDOVER_PROPERTY_RUNS ?? 15)

const schema = "keyset \"order\""

const composite = Table.make({
  schema,
  name: "composite key",
  columns: {
    k1: Table.int,
    k2: Table.text(50),
    "k$3": Table.int,
    payload: Table.nullable(Table.text())
  },
  primaryKey: ["k1", "k2", "k$3"]
})
const key = composite.primaryKey
const columns = Table.columnNames(composite)

/**
 * Keys from small domains, so that rows share prefixes; the text part mixes case, accents, digits, spaces, quotes and
 * backslashes, whose order depends on the collation.
 */
const keysArb = fc.uniqueArray(
  fc.tuple(
    fc.integer({ min: -3, max: 3 }),
    fc.string({ unit: fc.constantFrom("a", "A", "b", "B", "é", "1", "9", " ", "'", "\\", "$1", "😀"), maxLength: 3 }),
    fc.integer({ min: -2, max: 2 })
  ),
  { selector: ([a, b, c]) => JSON.stringify([a, b, c]), maxLength: 40 }
)

const payloadArb = fc.option(fc.string({ unit: "grapheme", maxLength: 5 }))

const fill = async (driver: Driver.Driver, keys: ReadonlyArray<readonly [number, string, number]>, payloads: ReadonlyArray<string | null>) => {
  await driver.query(driver.dialect.clearTables([composite])[0]!)
  await driver.transaction((c) => c.writeRows(composite, keys.map(([a, b, c], i) => [a, b, c, payloads[i % Math.max(1, payloads.length)] ?? null])))
}

/** The table in the database's own `ORDER BY k1, k2, k3`. */
const ordered = (driver: Driver.Driver) =>
  driver.queryText(
    `SELECT ${columns.map(driver.dialect.quoteIdentifier).join(", ")} FROM ${driver.dialect.qualify(composite)} ORDER BY ${
      key.map(driver.dialect.quoteIdentifier).join(", ")
    }`
  )

const keyOf = (row: TextRow): Array<string> => [0, 1, 2].map((i) => String(row[i]))

/** Reads the whole table page by page, as a resumable reader does. */
const readByPages = async (driver: Driver.Driver, limit: number, after: ReadonlyArray<string> | undefined = undefined) => {
  const pages: Array<ReadonlyArray<TextRow>> = []
  let next = after
  for (;;) {
    const page = driver.dialect.keysetPage({ table: composite, columns, key, after: next, limit })
    const rows = await driver.queryText(page.sql, page.params)
    assert.isAtMost(rows.length, limit)
    if (rows.length > 0) pages.push(rows)
    if (rows.length < limit) return pages
    next = keyOf(rows.at(-1)!)
    assert.isAtMost(pages.length, 1000, "keyset read does not end")
  }
}

const targets = [
  { name: "pglite", open: async () => ({ driver: await PgliteDriver.make({ dataDir: undefined }), drop: async () => {} }) },
  {
    name: "postgres",
    open: async () => {
      const fresh = await freshPostgres()
      return { driver: PostgresDriver.make({ connectionString: fresh.url }), drop: fresh.drop }
    }
  }
] as const

for (const target of targets) {
  describe.skipIf(!testsDialect(target.name))(`keyset pages on ${target.name}`, () => {
    let driver: Driver.Driver | undefined
    let drop: (() => Promise<void>) | undefined

    beforeAll(async () => {
      const opened = await target.open()
      driver = opened.driver
      drop = opened.drop
      await driver.query(driver.dialect.createSchema(schema))
      await driver.query(driver.dialect.createTable(composite))
    })

    afterAll(async () => {
      await driver?.close()
      await drop?.()
    })

    test.prop([keysArb, fc.array(fc.string({ unit: fc.constantFrom("a", "A", "é", "1", " ", "'", "\\", "\"", ",", "{", "}", "NULL", "😀"), maxLength: 4 }), { maxLength: 30 })], { numRuns: runs })(
      "a lookup by a list of text values returns exactly the rows whose value is in the list, whatever the text",
      async (keys, wanted) => {
        const d = driver!
        await fill(d, keys, [])
        const column = d.dialect.quoteIdentifier("k2")
        const rows = await Driver.selectWhereOneOf(d, {
          select: `SELECT k1, ${column} FROM ${d.dialect.qualify(composite)}`,
          where: `k1 >= ${d.dialect.placeholder(1)}`,
          params: [-3]
        }, column, wanted)
        assert.sameMembers(
          rows.map((r) => r[1]),
          keys.filter(([, k2]) => wanted.includes(k2)).map(([, k2]) => k2)
        )
      }
    )

    test.prop([keysArb, fc.array(payloadArb, { maxLength: 5 }), fc.integer({ min: 1, max: 7 })], { numRuns: runs })(
      "a query read in batches (streamed through COPY where the database has it) gives the rows a plain read gives",
      async (keys, payloads, size) => {
        const d = driver!
        await fill(d, keys, payloads)
        const query = `SELECT ${columns.map(d.dialect.quoteIdentifier).join(", ")} FROM ${d.dialect.qualify(composite)} ORDER BY ${
          key.map(d.dialect.quoteIdentifier).join(", ")
        }`
        const batches = await collect(Driver.queryBatches(d, query, size))
        batches.forEach((batch) => assert.isAtMost(batch.length, size))
        assert.deepStrictEqual(batches.flat(), await d.queryText(query))
      }
    )

    test.prop([keysArb, fc.array(payloadArb, { maxLength: 5 }), fc.integer({ min: 1, max: 7 })], { numRuns: runs })(
      "pages return every row once, in the database's ORDER BY",
      async (keys, payloads, limit) => {
        const d = driver!
        await fill(d, keys, payloads)
        const expected = await ordered(d)
        assert.strictEqual(expected.length, keys.length)
        const pages = await readByPages(d, limit)
        assert.deepStrictEqual(pages.flat(), expected)
        // every page but the last is full
        pages.slice(0, -1).forEach((page) => assert.strictEqual(page.length, limit))
        // and the keys read are exactly the keys written
        assert.sameMembers(
          pages.flat().map((row) => JSON.stringify([Number(row[0]), row[1], Number(row[2])])),
          keys.map((k) => JSON.stringify(k))
        )
      }
    )

    test.prop([keysArb, fc.array(payloadArb, { maxLength: 5 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: -3, max: 3 })], { numRuns: runs })(
      "a query with a condition and a parameter read in keyset pages, or sorted once into a scratch table and paged, gives the rows of one ordered read",
      async (keys, payloads, pageSize, least) => {
        const d = driver!
        await fill(d, keys, payloads)
        const q = d.dialect.quoteIdentifier
        const keyColumns = key.map((k) => `c.${q(k)}`)
        const query = {
          key: keyColumns,
          columns: [`c.${q("payload")}`],
          from: `${d.dialect.qualify(composite)} c`,
          where: `c.${q("k1")} >= ${d.dialect.placeholder(1)}`,
          params: [least],
          pageSize
        }
        const expected = await d.queryText(
          `SELECT ${[...keyColumns, `c.${q("payload")}`].join(", ")} FROM ${query.from} WHERE ${query.where} ORDER BY ${keyColumns.join(", ")}`,
          [least]
        )
        assert.strictEqual(expected.length, keys.filter(([k1]) => k1 >= least).length)
        for (const read of [Driver.keysetPages(d, query), Driver.sortedPages(d, { ...query, scratchSchema: schema })]) {
          const pages = await collect(read)
          pages.forEach((page) => assert.isAtMost(page.length, pageSize))
          pages.slice(0, -1).forEach((page) => assert.strictEqual(page.length, pageSize))
          assert.deepStrictEqual(pages.flat(), expected)
        }
        // the scratch table is gone, whether the read ends or is left early
        const early = Driver.sortedPages(d, { ...query, scratchSchema: schema })
        await early.next()
        await early.return(undefined)
        const left = await d.queryText(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'sorted%'`, [schema])
        assert.deepStrictEqual(left, [])
      }
    )

    it("drops the scratch tables of sorted reads a killed command left, and no other table", async () => {
      const d = driver!
      await fill(d, [[1, "a", 1], [2, "b", 2], [3, "c", 3]], ["p"])
      const q = d.dialect.quoteIdentifier
      // a read stopped after its first page, never closed: as a killed process leaves it
      const left = Driver.sortedPages(d, { key: [q("k1")], columns: [], from: d.dialect.qualify(composite), pageSize: 1, scratchSchema: schema })
      await left.next()
      const tables = async () =>
        (await d.queryText(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, [schema])).map((r) => String(r[0])).sort()
      assert.strictEqual((await tables()).filter((t) => t.startsWith("sorted_")).length, 1)
      assert.strictEqual(await Driver.dropSortedLeftovers(d, schema), 1)
      assert.deepStrictEqual((await tables()).filter((t) => t.startsWith("sorted_")), [])
      assert.include(await tables(), composite.name)
    })

    test.prop([keysArb.filter((keys) => keys.length > 0), fc.nat(), fc.integer({ min: 1, max: 7 })], { numRuns: runs })(
      "a read resumed after any row's key returns exactly the rows after it",
      async (keys, pick, limit) => {
        const d = driver!
        await fill(d, keys, ["p"])
        const expected = await ordered(d)
        const at = pick % expected.length
        const pages = await readByPages(d, limit, keyOf(expected[at]!))
        assert.deepStrictEqual(pages.flat(), expected.slice(at + 1))
      }
    )

    it("the generated DDL of every column type runs, twice, and values come back in PostgreSQL's text form", async () => {
      const d = driver!
      const table = everyTypeTable(schema, "every \"type\" ]", ["id", "code"])
      await d.query(d.dialect.createSchema(schema))
      await d.query(d.dialect.createTable(table))
      await d.query(d.dialect.createTable(table))
      await d.writeRows(table, [
        [1, 9007199254740993n, "O'Brien\t\\", "C1", "12345.67", "2024-02-29", "2024-02-29T13:14:15.678Z", true, null],
        [2, -1, "", "C2", "-0.5", "1900-01-01", "2024-02-29T13:14:15.678Z", false, "n"]
      ])
      const page = d.dialect.keysetPage({
        table,
        columns: [...Table.columnNames(table).filter((c) => c !== "at"), "at"],
        key: ["id", "code"],
        after: undefined,
        limit: 10
      })
      const rows = await d.queryText(page.sql, page.params)
      assert.deepStrictEqual(rows.map((r) => r.slice(0, -1)), [
        ["1", "9007199254740993", "O'Brien\t\\", "C1", "12345.67", "2024-02-29", "t", null],
        ["2", "-1", "", "C2", "-0.50", "1900-01-01", "f", "n"]
      ])
      // timestamps print in the session's time zone: compare the instants
      const matching = await d.queryText(
        `SELECT count(*) FROM ${d.dialect.qualify(table)} WHERE ${d.dialect.quoteIdentifier("at")} = $1::timestamptz AND ${
          d.dialect.quoteIdentifier("at")
        }::text = $2`,
        ["2024-02-29T13:14:15.678Z", rows[0]![8]]
      )
      assert.deepStrictEqual(matching, [["2"]])
    })
  })
}

describe.skipIf(!testsDialect("postgres"))("COPY reads on postgres", () => {
  let driver: Driver.Driver | undefined
  let drop: (() => Promise<void>) | undefined

  beforeAll(async () => {
    const fresh = await freshPostgres()
    drop = fresh.drop
    driver = PostgresDriver.make({ connectionString: fresh.url })
    await driver.query(driver.dialect.createSchema(schema))
    await driver.query(driver.dialect.createTable(composite))
  })

  afterAll(async () => {
    await driver?.close()
    await drop?.()
  })

  test.prop([keysArb.filter((keys) => keys.length > 0), fc.option(fc.nat(), { nil: undefined }), fc.integer({ min: 1, max: 7 })], {
    numRuns: runs
  })(
    "COPY TO STDOUT with inlined resume keys returns the same rows as keyset pages",
    async (keys, pick, batchSize) => {
      const d = driver!
      await fill(d, keys, [null, "x\ty"])
      const expected = await ordered(d)
      const at = pick === undefined ? undefined : pick % expected.length
      const after = at === undefined ? undefined : keyOf(expected[at]!)
      const batches = await collect(
        CopyText.decodeBatches(d.copyOut!({ table: composite, columns, key, after, limit: Infinity }), batchSize)
      )
      assert.deepStrictEqual(batches.flat(), expected.slice(at === undefined ? 0 : at + 1))
    }
  )
})

describe.skipIf(!testsDialect("postgres"))("COPY reads on postgres, whatever the column names", () => {
  let driver: Driver.Driver | undefined
  let drop: (() => Promise<void>) | undefined

  beforeAll(async () => {
    const fresh = await freshPostgres()
    drop = fresh.drop
    driver = PostgresDriver.make({ connectionString: fresh.url })
  })

  afterAll(async () => {
    await driver?.close()
    await drop?.()
  })

  /** Column names that need quoting, and some that look like placeholders or literals. */
  const columnName = fc.oneof(
    fc.constantFrom("$1", "k$2", "\"$3\"", "'$1'", "a b", "E'x'", "select"),
    fc.string({ unit: "binary", minLength: 1, maxLength: 10 }).filter((s) => !s.includes("\u0000"))
  )

  test.prop([
    fc.uniqueArray(columnName, { minLength: 3, maxLength: 3 }),
    fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom("a", "'", "\\", "$1", "b")), {
      selector: (k) => JSON.stringify(k),
      minLength: 1,
      maxLength: 12
    }),
    fc.nat()
  ], { numRuns: runs })(
    "a resumed COPY read returns the rows after the key",
    async (names, keys, pick) => {
      const d = driver!
      const [a, b, value] = names as [string, string, string]
      const table = Table.make({ schema: undefined, name: "named", columns: { [a]: Table.int, [b]: Table.text(), [value]: Table.text() }, primaryKey: [a, b] })
      await d.query(`DROP TABLE IF EXISTS ${d.dialect.qualify(table)}`)
      await d.query(d.dialect.createTable(table))
      await d.writeRows(table, keys.map(([x, y], i) => [x, y, `row ${i}`]))
      const all = { table, columns: [value, a, b], key: [a, b], after: undefined, limit: Infinity }
      const first = d.dialect.keysetPage(all)
      const expected = await d.queryText(first.sql, first.params)
      const at = pick % expected.length
      const after = [String(expected[at]![1]), String(expected[at]![2])]
      const copied = await collect(CopyText.decodeBatches(d.copyOut!({ ...all, after }), 5))
      assert.deepStrictEqual(copied.flat(), expected.slice(at + 1))
    }
  )
})
