/**
 * The canonical form: its rules on known values, and on every database the hash computed inside the database equals
 * the hash Node computes from the text the database returns, for arbitrary values of every type, whatever the time
 * zone the connection prints in. The proof refuses a table whose logical types do not fit its physical columns.
 */
import { assert, describe, it, layer } from "@effect/vitest"
import { Databases } from "@handover/core"
import { Database, Table, type Driver } from "@handover/sql"
import { Arbitraries, TestDatabase } from "@handover/testkit"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import fc from "fast-check"
import * as CanonicalHash from "../src/CanonicalHash.ts"
import * as TableDiff from "../src/TableDiff.ts"

const runs = Number(process.env.HANDOVER_PROPERTY_RUNS ?? 100)

const schema = "canonical_hash_test"

const everyType = Table.make({
  schema,
  name: "every type",
  columns: {
    id: Table.int,
    note: Table.nullable(Table.text()),
    code: Table.nullable(Table.text(30)),
    small: Table.nullable(Table.int),
    big: Table.nullable(Table.bigint),
    whole: Table.nullable(Table.decimal(10, 0)),
    money: Table.nullable(Table.decimal(12, 2)),
    rate: Table.nullable(Table.decimal(18, 6)),
    born: Table.nullable(Table.date),
    seen: Table.nullable(Table.timestamp),
    active: Table.nullable(Table.boolean)
  },
  primaryKey: ["id"]
})

/** Text with every character that could break a naive canonical form. */
const textArb = (maxLength = 12) =>
  fc.string({
    maxLength,
    unit: fc.oneof(
      fc.constantFrom("'", "\"", "\\", "\t", "\n", "\r", "|", "\\N", "N", " ", "  ", "é", "e\u0301", "ß", "名", "😀", "\u00a0", "\uFFFD", "\uE000"),
      fc.constantFrom(..."abcXYZ019")
    )
  })

/** A decimal of the given precision and scale, written with or without its trailing zeros, sometimes as `-0`. */
const decimalArb = (precision: number, scale: number) =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom("0", "-0", scale > 0 ? `-0.${"0".repeat(scale)}` : "-0", scale > 0 ? `0.${"0".repeat(scale)}` : "0") },
    {
      weight: 6,
      arbitrary: fc.tuple(
        fc.bigInt({ min: -(10n ** BigInt(precision)) + 1n, max: 10n ** BigInt(precision) - 1n }),
        fc.boolean()
      ).map(([units, trim]) => {
        const sign = units < 0n ? "-" : ""
        const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, "0")
        if (scale === 0) return `${sign}${digits}`
        const fraction = digits.slice(-scale)
        const written = trim ? fraction.replace(/0+$/, "") : fraction
        return `${sign}${digits.slice(0, -scale)}${written === "" ? "" : `.${written}`}`
      })
    }
  )

const bigintArb = fc.oneof(
  fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
)

const rowArb = (dialect: TestDatabase.TestDialect) =>
  fc.tuple(
    fc.option(textArb(), { nil: null }),
    // at most 30 UTF-16 code units, which is what nvarchar(30) counts
    fc.option(textArb(15), { nil: null }),
    fc.option(fc.oneof(fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, 0), fc.integer()), { nil: null }),
    fc.option(bigintArb, { nil: null }),
    fc.option(decimalArb(10, 0), { nil: null }),
    fc.option(decimalArb(12, 2), { nil: null }),
    fc.option(decimalArb(dialect === "mssql" ? 15 : 18, 6), { nil: null }),
    fc.option(Arbitraries.anyIsoDate, { nil: null }),
    fc.option(Arbitraries.anyInstant(dialect === "mssql" ? 3 : 6), { nil: null }),
    fc.option(fc.boolean(), { nil: null })
  )

/** Values as written: SQL Server's parameters take bigints as text. */
const writable = (dialect: TestDatabase.TestDialect, values: ReadonlyArray<Driver.SqlValue>): ReadonlyArray<Driver.SqlValue> =>
  dialect === "mssql" ? values.map((v) => (typeof v === "bigint" ? v.toString() : v)) : values

/** The time zones a connection may print timestamps in: offsets of whole hours, half hours, 45 minutes and seconds. */
const timeZones = ["UTC", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham", "Europe/Dublin", "America/Los_Angeles"] as const

const databaseLayer = (dialect: TestDatabase.TestDialect) =>
  Layer.effectContext(
    TestDatabase.openInTimeZone(dialect, "Asia/Kolkata").pipe(
      Effect.map((db) => Context.make(TestDatabase.TestDatabase, db).pipe(Context.add(Databases.LegacyDatabase, db))),
      Effect.orDie
    )
  )

const create = (db: Database.Database, table: Table.Table, rows: ReadonlyArray<ReadonlyArray<Driver.SqlValue>>) =>
  Effect.gen(function*() {
    yield* TestDatabase.resetSchemas(db, [schema])
    yield* db.use("create", async (d) => {
      await d.query(d.dialect.createSchema(schema))
      await d.query(d.dialect.createTable(table))
      if (rows.length > 0) await d.transaction((c) => c.writeRows(table, rows))
    })
  })

/** Every row of a table in id order: the text the database returns, its canonical text and hash computed in the database. */
const readHashed = (db: Database.Database, table: Table.Table) => {
  const sql = CanonicalHash.hashSql(db.dialect.name)
  const ref = CanonicalHash.columnRef(db.dialect)
  const statement = sql.select({
    columns: [
      ...table.columns.map((c) => sql.rawText(c.type, ref(c.name))),
      sql.canonicalText(table.columns, ref),
      sql.rowHash(sql.canonicalText(table.columns, ref))
    ],
    from: `${db.dialect.qualify(table)} AS ${CanonicalHash.tableAlias}`,
    orderBy: [ref("id")]
  })
  return db.use("read hashed", (d) => d.queryText(statement)).pipe(
    Effect.map((rows) =>
      rows.map((row) => {
        const values = row.map((v) => (v === null || v === undefined ? null : String(v)))
        const width = table.columns.length
        return { raw: values.slice(0, width), text: values[width] ?? null, hash: values[width + 1] ?? null }
      })
    )
  )
}

describe("canonical form in Node", () => {
  const pair = Table.make({ name: "pair", columns: { a: Table.nullable(Table.text()), b: Table.nullable(Table.text()) }, primaryKey: ["a"] })

  it("writes the documented text for a row of every type", () => {
    const text = CanonicalHash.canonicalText(everyType, [
      "7",
      "O'Brien \\|x ",
      "",
      "-0",
      "-9223372036854775808",
      "0042",
      "1.50",
      "-0.000000",
      "0005-03-01",
      "2024-02-29 18:44:15.5+05:30",
      "t"
    ])
    assert.strictEqual(text, "7|O'Brien \\\\\\|x ||0|-9223372036854775808|42|1.5|0|0005-03-01|2024-02-29T13:14:15.500000|t")
    assert.strictEqual(
      CanonicalHash.canonicalText(everyType, ["1", null, null, null, null, null, null, null, null, null, null]),
      "1|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N"
    )
    assert.strictEqual(CanonicalHash.rowHash(pair, ["a", "b"]), CanonicalHash.md5("a|b"))
  })

  it("keeps fields apart: 12+3 and 1+23, NULL and empty text, NULL and the text \\N, a bar inside a field", () => {
    const hashes = [["12", "3"], ["1", "23"], [null, ""], ["", null], ["", ""], [null, null], ["\\N", null], [null, "\\N"], ["a|", "b"], ["a", "|b"], [
      "a\\",
      "|b"
    ], ["a\\|", "b"]].map((row) => CanonicalHash.rowHash(pair, row))
    assert.strictEqual(new Set(hashes).size, hashes.length)
  })

  it("reads every text form the databases write", () => {
    const ts = Table.timestamp
    assert.strictEqual(CanonicalHash.canonicalValue(ts, "1900-01-01 05:21:10+05:21:10"), "1900-01-01T00:00:00.000000")
    assert.strictEqual(CanonicalHash.canonicalValue(ts, "2024-02-29 13:14:15.678 +00:00"), "2024-02-29T13:14:15.678000")
    assert.strictEqual(CanonicalHash.canonicalValue(ts, "2020-01-01 20:30:00-03:30"), "2020-01-02T00:00:00.000000")
    assert.strictEqual(CanonicalHash.canonicalValue(ts, "0001-01-01 00:00:00.000001+00"), "0001-01-01T00:00:00.000001")
    // SQL Server's seven digits of a datetimeoffset, the seventh a zero, and as its driver reads one back in UTC
    assert.strictEqual(CanonicalHash.canonicalValue(ts, "2024-02-29 13:14:15.1234560 +01:00"), "2024-02-29T12:14:15.123456")
    assert.strictEqual(CanonicalHash.canonicalValue(ts, "2024-02-29T12:14:15.1234560Z"), "2024-02-29T12:14:15.123456")
    assert.strictEqual(CanonicalHash.canonicalValue(Table.decimal(5, 2), "-0.50"), "-0.5")
    assert.strictEqual(CanonicalHash.canonicalValue(Table.decimal(5, 2), "10.00"), "10")
    assert.strictEqual(CanonicalHash.canonicalValue(Table.boolean, "1"), "t")
    assert.strictEqual(CanonicalHash.canonicalValue(Table.boolean, "false"), "f")
    for (const [type, text] of [[ts, "2024-02-29 13:14:15"], [ts, "2024-02-29 13:14:15.1234567+00"], [Table.int, "1.5"], [Table.date, "2023-02-29"], [
      Table.boolean,
      "yes"
    ]] as const) {
      assert.throws(() => CanonicalHash.canonicalValue(type, text), /is not a/)
    }
  })

  it("orders text by code point, as UTF-8 bytes compare", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("a", "A", "é", " ", "\t", "\uE000", "\uFFFF", "😀", "𝒜", "z") }),
        fc.string({ unit: fc.constantFrom("a", "A", "é", " ", "\t", "\uE000", "\uFFFF", "😀", "𝒜", "z") }),
        (a, b) => Math.sign(CanonicalHash.compareText(a, b)) === Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)))
      )
    )
  })

  it("orders decimals by value", () => {
    fc.assert(
      fc.property(decimalArb(8, 3), decimalArb(8, 3), (a, b) => {
        const scaled = (t: string) => {
          const [w = "0", f = ""] = t.replace("-", "").split(".")
          const v = BigInt(w || "0") * 1000n + BigInt(f.padEnd(3, "0"))
          return t.startsWith("-") ? -v : v
        }
        const ca = CanonicalHash.canonicalValue(Table.decimal(8, 3), a)!
        const cb = CanonicalHash.canonicalValue(Table.decimal(8, 3), b)!
        const expected = scaled(a) < scaled(b) ? -1 : scaled(a) > scaled(b) ? 1 : 0
        return Math.sign(CanonicalHash.compareDecimal(ca, cb)) === expected && (expected === 0) === (ca === cb)
      })
    )
  })
})

for (const dialect of TestDatabase.dialects()) {
  layer(databaseLayer(dialect), { timeout: "120 seconds", excludeTestServices: true })(`canonical hash on ${dialect}`, (it) => {
    it.effect("the database's canonical text and hash equal Node's, for arbitrary values of every type", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        const context = yield* Effect.context<never>()
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(fc.array(rowArb(dialect), { maxLength: 40, size: "medium" }), fc.constantFrom(...timeZones), (rows, timeZone) =>
              Effect.runPromise(Effect.provideContext(
                Effect.gen(function*() {
                  // PGlite has one connection: its time zone can change between runs
                  if (dialect === "pglite") yield* db.use("time zone", (d) => d.query(`SET TIME ZONE '${timeZone}'`))
                  const written = rows.map((values, i) => writable(dialect, [i, ...values]))
                  yield* create(db, everyType, written)
                  const hashed = yield* readHashed(db, everyType)
                  assert.strictEqual(hashed.length, rows.length)
                  for (const row of hashed) {
                    assert.strictEqual(row.text, CanonicalHash.canonicalText(everyType, row.raw), JSON.stringify(row.raw))
                    assert.strictEqual(row.hash, CanonicalHash.rowHash(everyType, row.raw), JSON.stringify(row.raw))
                  }
                  // the values read back are the values written, in canonical form
                  for (const [i, row] of hashed.entries()) {
                    everyType.columns.forEach((c, j) =>
                      assert.strictEqual(
                        CanonicalHash.canonicalValue(c.type, row.raw[j] ?? null),
                        CanonicalHash.canonicalValue(c.type, written[i]![j] === null ? null : String(written[i]![j])),
                        `${c.name} of ${JSON.stringify(row.raw)}`
                      )
                    )
                  }
                  const proof = yield* CanonicalHash.proveCanonicalForm(db, everyType, 1000)
                  assert.strictEqual(proof.rowsChecked, rows.length)
                }),
                context
              ))
            ),
            { numRuns: runs }
          )
        )
      }))

    it.effect("the database writes the documented canonical text of known values", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* create(db, everyType, [
          [1, "O'Brien  \\|😀 ", "", -7, 2n ** 63n - 1n, "-0", "1234.50", "-0.000100", "0005-03-01", "2024-02-29T18:44:15.500+05:30", true],
          [2, null, null, null, null, null, null, null, null, null, null],
          [3, "\\N", "e\u0301 ", -(2 ** 31), -(2n ** 63n), "10", "-10.00", "0.5", "9999-12-31", "1970-01-01T00:00:00Z", false]
        ].map((row) => writable(dialect, row)))
        const hashed = yield* readHashed(db, everyType)
        const texts = [
          "1|O'Brien  \\\\\\|😀 ||-7|9223372036854775807|0|1234.5|-0.0001|0005-03-01|2024-02-29T13:14:15.500000|t",
          "2|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N|\\N",
          "3|\\\\N|e\u0301 |-2147483648|-9223372036854775808|10|-10|0.5|9999-12-31|1970-01-01T00:00:00.000000|f"
        ]
        assert.deepStrictEqual(hashed.map((r) => r.text), texts)
        assert.deepStrictEqual(hashed.map((r) => r.hash), texts.map(CanonicalHash.md5))
      }))

    it.effect("fields stay apart in the database: 12+3 and 1+23, NULL and empty text, NULL and \\N", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        const pair = Table.make({
          schema,
          name: "pair",
          columns: { id: Table.int, a: Table.nullable(Table.text()), b: Table.nullable(Table.text()) },
          primaryKey: ["id"]
        })
        const values: ReadonlyArray<readonly [string | null, string | null]> = [
          ["12", "3"],
          ["1", "23"],
          [null, ""],
          ["", null],
          ["", ""],
          [null, null],
          ["\\N", null],
          ["a|", "b"],
          ["a", "|b"],
          ["ab ", "c"],
          ["ab", " c"]
        ]
        yield* create(db, pair, values.map(([a, b], i) => [i, a, b]))
        const hashed = yield* readHashed(db, pair)
        // the canonical texts the database wrote, without their id fields, are all different
        const withoutId = hashed.map((row) => row.text!.slice(row.text!.indexOf("|") + 1))
        assert.strictEqual(new Set(withoutId).size, values.length)
        for (const row of hashed) assert.strictEqual(row.hash, CanonicalHash.rowHash(pair, row.raw))
      }))

    it.effect("the proof refuses logical types that do not fit the physical columns, naming column and dialect, and so does the diff", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        const q = db.dialect.quoteIdentifier
        const physical = Table.make({
          schema,
          name: "mismatch",
          columns: { id: Table.int, padded: Table.text(5), qty: Table.decimal(10, 2) },
          primaryKey: ["id"]
        })
        yield* create(db, physical, [])
        // a char(5) column pads with spaces, which PostgreSQL drops on a cast to text; SQL Server's datetime2 has no offset
        const padded = db.dialect.name === "mssql" ? "datetime2" : "char(5)"
        yield* db.use("make padded fixed width", (d) =>
          d.query(
            db.dialect.name === "mssql"
              ? `ALTER TABLE ${d.dialect.qualify(physical)} ALTER COLUMN ${q("padded")} ${padded} NOT NULL`
              : `ALTER TABLE ${d.dialect.qualify(physical)} ALTER COLUMN ${q("padded")} TYPE ${padded}`
          ))
        yield* db.use("insert", (d) =>
          d.query(
            `INSERT INTO ${d.dialect.qualify(physical)} (${q("id")}, ${q("padded")}, ${q("qty")}) VALUES (1, '${
              db.dialect.name === "mssql" ? "2024-01-01 10:00:00" : "ab"
            }', 1.50)`
          ))
        const declared = Table.make({
          schema,
          name: "mismatch",
          columns: { id: Table.int, padded: db.dialect.name === "mssql" ? Table.timestamp : Table.text(5), qty: Table.decimal(10, 2) },
          primaryKey: ["id"]
        })
        const error = yield* Effect.flip(CanonicalHash.proveCanonicalForm(db, declared, 10))
        if (error._tag !== "CanonicalFormError") return assert.fail(`expected a CanonicalFormError, got ${error.message}`)
        assert.strictEqual(error.column, "padded")
        assert.strictEqual(error.dialect, db.dialect.name)
        assert.include(error.message, "padded")
        assert.include(error.message, db.dialect.name)

        // the diff proves first and reports nothing when the proof fails
        let reported = 0
        const diffError = yield* Effect.flip(
          TableDiff.run({ legacy: { database: db, table: declared }, target: { database: db, table: declared } }, (batch) =>
            Effect.sync(() => void (reported += batch.length)))
        )
        assert.strictEqual(diffError._tag, "CanonicalFormError")
        assert.strictEqual(reported, 0)

        // a fractional numeric declared int
        yield* db.use("drop the padded column", (d) => d.query(`ALTER TABLE ${d.dialect.qualify(physical)} DROP COLUMN ${q("padded")}`))
        const fractionAsInt = Table.make({ schema, name: "mismatch", columns: { id: Table.int, qty: Table.int }, primaryKey: ["id"] })
        const intError = yield* Effect.flip(CanonicalHash.proveCanonicalForm(db, fractionAsInt, 10))
        if (intError._tag !== "CanonicalFormError") return assert.fail(`expected a CanonicalFormError, got ${intError.message}`)
        assert.strictEqual(intError.column, "qty")
        assert.include(intError.message, "1.50")
      }))
  })
}
