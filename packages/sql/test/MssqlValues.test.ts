/**
 * The values Handover sends SQL Server, without a server: a bulk load must store what an INSERT of the same value
 * stores. The INSERT path sends decimals and instants as text, which SQL Server converts as documented (a decimal
 * rounded half away from zero to the column's scale, an instant rounded to the column's fraction); the bulk path goes
 * through tedious's own encoders, which are called here as the bulk load calls them.
 */
import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import mssql from "mssql"
import * as Tedious from "tedious"
import * as MssqlDriver from "../src/mssql/MssqlDriver.ts"
import * as Table from "../src/Table.ts"

/** The bytes tedious's encoder of a type writes for a value, as a bulk load writes them. */
const encoded = (type: { generateParameterData: (parameter: any, options: any) => Iterable<Buffer> }, parameter: object): Buffer =>
  Buffer.concat([...type.generateParameterData(parameter, { useUTC: true, tdsVersion: "7_4" })])

/** The signed whole number of units of the last place tedious writes for a decimal (a sign byte, then the magnitude). */
const writtenDecimal = (value: number, precision: number, scale: number): bigint => {
  const bytes = encoded(Tedious.TYPES.Decimal, { value, precision, scale })
  const magnitude = precision <= 9 ? BigInt(bytes.readUInt32LE(1)) : bytes.readBigUInt64LE(1)
  return bytes.readUInt8(0) === 0 ? -magnitude : magnitude
}

/** The bulk value of a decimal as tedious writes it, in units of the column's last place. */
const bulkDecimal = (text: string, precision: number, scale: number) =>
  writtenDecimal(MssqlDriver.bulkValue(Table.decimal(precision, scale), text) as number, precision, scale)

describe("SQL Server values: a bulk load stores what an INSERT stores", () => {
  it("rounds decimals half away from zero, as SQL Server converts the text an INSERT sends", () => {
    // the results SQL Server gives for these texts converted to decimal(10, 2)
    const stated: ReadonlyArray<readonly [string, bigint]> = [
      ["1.005", 101n],
      ["2.675", 268n],
      ["-1.005", -101n],
      ["-2.675", -268n],
      ["0.004", 0n],
      ["0.005", 1n],
      ["12.3456", 1235n],
      ["99999999.995", 10000000000n]
    ]
    for (const [text, units] of stated) {
      assert.strictEqual(MssqlDriver.scaledDecimal(text, 2), units, text)
      if (units < 10n ** 10n) assert.strictEqual(bulkDecimal(text, 10, 2), units, `${text} bulk loaded`)
    }
  })

  test.prop([
    fc.boolean(),
    fc.bigInt({ min: 0n, max: 10n ** 13n - 1n }),
    fc.stringMatching(/^\d{0,8}$/),
    fc.integer({ min: 0, max: 4 })
  ])("any decimal of up to fifteen digits: tedious writes the value the text converts to", (negative, whole, fraction, scale) => {
    const text = `${negative ? "-" : ""}${whole}${fraction === "" ? "" : `.${fraction}`}`
    const precision = 15
    const units = MssqlDriver.scaledDecimal(text, scale)
    fc.pre(units < 10n ** 15n && units > -(10n ** 15n))
    const written = bulkDecimal(text, precision, scale)
    // negative zero is zero
    assert.strictEqual(written === 0n ? 0n : written, units, text)
  })

  it("refuses a decimal wider than a bulk load writes exactly, and such a table is written by INSERT", () => {
    assert.throws(() => MssqlDriver.bulkValue(Table.decimal(18, 2), "12345678901234567.89"))
    const wide = Table.make({ name: "wide", columns: { id: Table.int, amount: Table.decimal(18, 2) }, primaryKey: ["id"] })
    const narrow = Table.make({ name: "narrow", columns: { id: Table.int, amount: Table.decimal(15, 2) }, primaryKey: ["id"] })
    assert.isFalse(MssqlDriver.bulkLoadable(wide))
    assert.isTrue(MssqlDriver.bulkLoadable(narrow))
    // a name mssql's bulk load cannot parse goes by INSERT too
    assert.isFalse(MssqlDriver.bulkLoadable({ ...narrow, name: "odd]name" }))
  })

  test.prop([fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })])("writes a bigint of any size exactly", (value) => {
    const bytes = encoded(Tedious.TYPES.BigInt, { value: MssqlDriver.bulkValue(Table.bigint, value) })
    assert.strictEqual(bytes.readBigInt64LE(0), value)
    // as the digits a pipeline gives too
    const fromText = encoded(Tedious.TYPES.BigInt, { value: MssqlDriver.bulkValue(Table.bigint, value.toString()) })
    assert.strictEqual(fromText.readBigInt64LE(0), value)
  })

  it("rounds an instant to the millisecond, as datetimeoffset(3) takes the text an INSERT sends", () => {
    const stated: ReadonlyArray<readonly [string, string]> = [
      ["2024-02-01T10:00:00.1234Z", "2024-02-01T10:00:00.123Z"],
      ["2024-02-01T10:00:00.1235Z", "2024-02-01T10:00:00.124Z"],
      ["2024-02-01T10:00:00.999600Z", "2024-02-01T10:00:01.000Z"],
      ["2024-12-31T23:59:59.9995+00:00", "2025-01-01T00:00:00.000Z"],
      ["2024-02-01 10:00:00.5+01:00", "2024-02-01T09:00:00.500Z"],
      ["2024-02-01T10:00:00Z", "2024-02-01T10:00:00.000Z"],
      // no offset: UTC, as the canonical form reads it, never the machine's local time
      ["2024-07-01 10:00:00.5", "2024-07-01T10:00:00.500Z"]
    ]
    for (const [text, instant] of stated) {
      assert.strictEqual((MssqlDriver.bulkValue(Table.timestamp, text) as Date).toISOString(), instant, text)
    }
  })

  test.prop([fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.integer({ min: 0, max: 999 })])(
    "any instant to the microsecond: the millisecond it rounds to",
    (millis, micros) => {
      const text = `${new Date(millis).toISOString().slice(0, 23)}${String(micros).padStart(3, "0")}Z`
      const expected = millis + (micros >= 500 ? 1 : 0)
      assert.strictEqual((MssqlDriver.bulkValue(Table.timestamp, text) as Date).getTime(), expected, text)
    }
  )

  it("loads in bulk as an INSERT does: constraints checked, triggers fired, NULL kept", () => {
    assert.deepStrictEqual(MssqlDriver.bulkOptions, { checkConstraints: true, fireTriggers: true, keepNulls: true })
  })
})

describe("text that fits its column on every dialect", () => {
  const column = (maxLength: number) => ({ name: "note", type: { _tag: "text", maxLength } as const, nullable: false })

  test.prop([fc.array(fc.constantFrom("a", "é", "語", "😀", "𝄞"), { maxLength: 12 }), fc.integer({ min: 1, max: 10 })])(
    "fits exactly when its UTF-16 units (nvarchar's count, never fewer than PostgreSQL's characters) are within the limit",
    (characters, maxLength) => {
      const text = characters.join("")
      const problem = Table.valueProblem(column(maxLength), text)
      assert.strictEqual(problem === undefined, text.length <= maxLength, `${text} in ${maxLength}: ${problem}`)
      if (problem !== undefined && characters.length <= maxLength) assert.include(problem, "as SQL Server counts them")
    }
  )

  it("turns away an emoji at the limit, which SQL Server would refuse with the whole batch", () => {
    assert.isUndefined(Table.valueProblem(column(4), "abcd"))
    assert.isDefined(Table.valueProblem(column(4), "abc😀"))
  })
})

describe("SQL Server values read back as text, as the Driver contract says", () => {
  /** A Date as tedious makes one, with the fraction past the millisecond beside it in seconds. */
  const tediousDate = (iso: string, beyondMillisecond = 0) => {
    const date = new Date(iso)
    Object.defineProperty(date, "nanosecondsDelta", { enumerable: false, value: beyondMillisecond / 1e7 })
    return date
  }

  it("gives the text a database prints, not JavaScript's own form of a value", () => {
    const stated: ReadonlyArray<readonly [unknown, MssqlDriver.ResultColumn, string | null]> = [
      [tediousDate("2024-02-01T00:00:00.000Z"), { type: mssql.Date }, "2024-02-01"],
      [tediousDate("2024-02-01T09:30:00.123Z", 4567), { type: mssql.DateTimeOffset, scale: 7 }, "2024-02-01T09:30:00.1234567Z"],
      [tediousDate("2024-02-01T09:30:00.120Z"), { type: mssql.DateTimeOffset, scale: 3 }, "2024-02-01T09:30:00.1200000Z"],
      [tediousDate("2024-02-01T09:30:00.003Z"), { type: mssql.DateTime }, "2024-02-01T09:30:00.0030000Z"],
      [12.5, { type: mssql.Decimal, scale: 2 }, "12.50"],
      [12.3456, { type: mssql.Money, scale: 4 }, "12.3456"],
      [0.1, { type: mssql.Float }, "0.1"],
      [true, { type: mssql.Bit }, "t"],
      [false, { type: mssql.Bit }, "f"],
      ["9007199254740993", { type: mssql.BigInt }, "9007199254740993"],
      ["6F9619FF-8B86-D011-B42D-00C04FC964FF", { type: mssql.UniqueIdentifier }, "6f9619ff-8b86-d011-b42d-00c04fc964ff"],
      ["Ann", { type: mssql.NVarChar }, "Ann"],
      [null, { type: mssql.Date }, null]
    ]
    for (const [value, column, text] of stated) assert.strictEqual(MssqlDriver.textOf(value, column), text, String(value))
  })

  test.prop([fc.integer({ min: 0, max: 253_402_300_799_999 }), fc.integer({ min: 0, max: 9_999 })])(
    "an instant keeps every digit of its fraction",
    (millis, beyond) => {
      const text = MssqlDriver.textOf(tediousDate(new Date(millis).toISOString(), beyond), { type: mssql.DateTimeOffset, scale: 7 })!
      assert.strictEqual(text, `${new Date(millis).toISOString().slice(0, 23)}${String(beyond).padStart(4, "0")}Z`)
    }
  )
})
