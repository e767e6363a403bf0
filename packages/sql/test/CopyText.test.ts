/**
 * PostgreSQL's COPY text format: what `encodeRows` writes, `decodeBatches` reads back, however the bytes are chunked,
 * and PostgreSQL itself agrees with both.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as CopyText from "../src/CopyText.ts"
import type { Driver, SqlValue } from "../src/Driver.ts"
import * as PostgresDriver from "../src/postgres/PostgresDriver.ts"
import * as Table from "../src/Table.ts"
import { collect, freshPostgres, fromChunks, testsDialect, type FreshDatabase } from "./support.ts"

/** Characters COPY treats specially, and some that take several UTF-8 bytes. */
const specials = [
  "\t", "\n", "\r", "\r\n", "\\", "\\N", "\\.", "\\t", "'", "\"", " ", "N", ".", "\b", "\f", "\v", "\u2028",
  "é", "ß", "日本", "😀", "👩‍👩‍👧", "\u{10FFFF}"
]

/** One character (or a short special sequence): anything but NUL. */
const character = fc.oneof(
  fc.constantFrom(...specials),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }).filter((c) => !c.includes("\u0000"))
)

const textValue = fc.string({ unit: character, maxLength: 12 })

const sqlValue: fc.Arbitrary<SqlValue> = fc.oneof(
  { arbitrary: textValue, weight: 4 },
  fc.constant(null),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt(),
  fc.boolean()
)

/** The text form of a value, as PostgreSQL would print it in a text column. */
const textOf = (value: SqlValue): string | null =>
  value === null ? null : typeof value === "boolean" ? (value ? "t" : "f") : String(value)

const rowsArb = fc.array(fc.array(sqlValue, { minLength: 1, maxLength: 6 }), { maxLength: 30 })

const bytesOf = (text: string) => new Uint8Array(Buffer.from(text, "utf8"))

/** Splits bytes at the given positions (taken modulo the length, so any cut is possible, empty chunks too). */
const splitAt = (bytes: Uint8Array, cuts: ReadonlyArray<number>): Array<Uint8Array> => {
  const positions = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: Array<Uint8Array> = []
  let start = 0
  for (const p of positions) {
    chunks.push(bytes.subarray(start, p))
    start = p
  }
  chunks.push(bytes.subarray(start))
  return chunks
}

const splitEvery = (bytes: Uint8Array, size: number): Array<Uint8Array> => {
  const chunks: Array<Uint8Array> = []
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size))
  return chunks
}

/** Batches have exactly the requested size, except a shorter (never empty) last one. */
const assertBatchSizes = (batches: ReadonlyArray<ReadonlyArray<unknown>>, rows: number, batchSize: number) => {
  assert.strictEqual(batches.length, Math.ceil(rows / batchSize))
  batches.forEach((batch, i) => {
    if (i < batches.length - 1) assert.strictEqual(batch.length, batchSize)
    else assert.isTrue(batch.length >= 1 && batch.length <= batchSize, `last batch of ${batch.length}`)
  })
}

describe("CopyText", () => {
  test.prop([rowsArb, fc.array(fc.nat(), { maxLength: 40 }), fc.integer({ min: 1, max: 8 })], { numRuns: 300 })(
    "decodeBatches gives back the text of every encoded value, however the bytes are cut",
    async (rows, cuts, batchSize) => {
      const chunks = splitAt(bytesOf(CopyText.encodeRows(rows)), cuts)
      const batches = await collect(CopyText.decodeBatches(fromChunks(chunks), batchSize))
      assert.deepStrictEqual(batches.flat(), rows.map((row) => row.map(textOf)))
      assertBatchSizes(batches, rows.length, batchSize)
    }
  )

  test.prop([rowsArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 8 })], { numRuns: 200 })(
    "decodeBatches reassembles characters cut into single bytes",
    async (rows, chunkSize, batchSize) => {
      const chunks = splitEvery(bytesOf(CopyText.encodeRows(rows)), chunkSize)
      const batches = await collect(CopyText.decodeBatches(fromChunks(chunks), batchSize))
      assert.deepStrictEqual(batches.flat(), rows.map((row) => row.map(textOf)))
      assertBatchSizes(batches, rows.length, batchSize)
    }
  )

  it("escapes backslash, tab, newline and carriage return, and writes NULL as \\N", () => {
    assert.strictEqual(CopyText.encodeValue("a\tb\nc\rd\\e"), "a\\tb\\nc\\rd\\\\e")
    assert.strictEqual(CopyText.encodeValue("\\N"), "\\\\N")
    assert.strictEqual(CopyText.encodeValue(null), "\\N")
    assert.strictEqual(CopyText.encodeValue(""), "")
    assert.strictEqual(CopyText.encodeValue(true), "t")
    assert.strictEqual(CopyText.encodeValue(false), "f")
    assert.strictEqual(CopyText.encodeValue(-1.5), "-1.5")
    assert.strictEqual(CopyText.encodeValue(12345678901234567890n), "12345678901234567890")
    assert.strictEqual(CopyText.encodeRows([["a", null], ["", 1]]), "a\t\\N\n\t1\n")
  })

  it("rejects a NUL character and numbers that are not finite", () => {
    assert.throws(() => CopyText.encodeValue("a\u0000b"), /NUL/)
    assert.throws(() => CopyText.encodeRows([["ok", "\u0000"]]), /NUL/)
    assert.throws(() => CopyText.encodeValue(Number.NaN), /NaN/)
    assert.throws(() => CopyText.encodeValue(Number.POSITIVE_INFINITY), /Infinity/)
  })

  it("decodes every escape PostgreSQL documents, and \\N only as a whole field", () => {
    assert.deepStrictEqual(CopyText.decodeLine("\\b\\f\\n\\r\\t\\v\\\\"), ["\b\f\n\r\t\v\\"])
    assert.deepStrictEqual(CopyText.decodeLine("\\101\\x42\\x4a\\7"), ["ABJ\u0007"])
    assert.deepStrictEqual(CopyText.decodeLine("\\N\t\\\\N\t\tx\\N"), [null, "\\N", "", "xN"])
  })

  it("decodes a last line that has no newline", async () => {
    const batches = await collect(CopyText.decodeBatches(fromChunks([bytesOf("a\tb\nc\td")]), 10))
    assert.deepStrictEqual(batches, [[["a", "b"], ["c", "d"]]])
    assert.deepStrictEqual(await collect(CopyText.decodeBatches(fromChunks([]), 3)), [])
  })
})

const width = 4
const copyTable = Table.make({
  name: "copy round trip",
  columns: {
    n: Table.int,
    ...Object.fromEntries(Array.from({ length: width }, (_, i) => [`c${i + 1}`, Table.nullable(Table.text())]))
  },
  primaryKey: ["n"]
})
const copyColumns = Table.columnNames(copyTable)

describe.skipIf(!testsDialect("postgres"))("CopyText through PostgreSQL's COPY", () => {
  let fresh: FreshDatabase | undefined
  let driver: Driver | undefined

  beforeAll(async () => {
    fresh = await freshPostgres()
    driver = PostgresDriver.make({ connectionString: fresh.url })
    await driver.query(driver.dialect.createTable(copyTable))
  })

  afterAll(async () => {
    await driver?.close()
    await fresh?.drop()
  })

  test.prop([fc.array(fc.array(sqlValue, { minLength: width, maxLength: width }), { maxLength: 25 }), fc.integer({ min: 1, max: 7 })], {
    numRuns: 40
  })(
    "rows written with COPY FROM STDIN come back from COPY TO STDOUT as their text",
    async (rows, batchSize) => {
      const d = driver!
      await d.query(`TRUNCATE ${d.dialect.qualify(copyTable)}`)
      await d.transaction((c) => c.writeRows(copyTable, rows.map((row, i) => [i, ...row])))
      const expected = rows.map((row, i) => [String(i), ...row.map(textOf)])

      const copied = await collect(
        CopyText.decodeBatches(
          d.copyOut!({ table: copyTable, columns: copyColumns, key: ["n"], after: undefined, limit: Infinity }),
          batchSize
        )
      )
      assert.deepStrictEqual(copied.flat(), expected)
      assertBatchSizes(copied, rows.length, batchSize)

      // the server's own text output of the stored values agrees
      const page = d.dialect.keysetPage({ table: copyTable, columns: copyColumns, key: ["n"], after: undefined, limit: Infinity })
      assert.deepStrictEqual(await d.queryText(page.sql, page.params), expected)
    }
  )

  it("control characters, \\N and the end-of-data marker survive the server", async () => {
    const d = driver!
    const values = ["\\.", "\b\f\v\u0001\u007f", "\\N", "tab\there", "\r\n"]
    await d.query(`TRUNCATE ${d.dialect.qualify(copyTable)}`)
    await d.writeRows(copyTable, values.map((v, i) => [i, v, null, "", v]))
    const copied = await collect(
      CopyText.decodeBatches(d.copyOut!({ table: copyTable, columns: copyColumns, key: ["n"], after: undefined, limit: Infinity }), 100)
    )
    assert.deepStrictEqual(copied.flat(), values.map((v, i) => [String(i), v, null, "", v]))
  })
})
