import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as Schema from "effect/Schema"
import * as Decode from "../src/Decode.ts"
import * as LegacyText from "../src/LegacyText.ts"
import type { LegacyText as Row } from "../src/Pipeline.ts"

/** A legacy row with every kind of field the pipelines use. */
const ClientRow = Schema.Struct({
  client_no: LegacyText.IntFromText,
  forename: LegacyText.OptionalText,
  dob_text: Schema.NullOr(Schema.String),
  merged_into: LegacyText.OptionalIntFromText,
  born: LegacyText.DateFromText,
  died: LegacyText.OptionalDateFromText,
  code: Schema.String
})

/** A codec of the pipelines' own kind whose target has a check of its own (an even number). */
const EvenFromText = LegacyText.fromText(Schema.Int.check(Schema.isMultipleOf(2)), LegacyText.parseInt32, String)

/** A field no reader knows: every row goes through the Schema. */
const WithLiteral = Schema.Struct({ id: LegacyText.IntFromText, kind: Schema.Literals(["A", "B"]) })

const columns = ["client_no", "forename", "dob_text", "merged_into", "born", "died", "code", "extra"] as const

/** Text as legacy extracts hold it: numbers plain and odd, dates in both forms and none, blanks, NULs, broken characters. */
const legacyValue = fc.oneof(
  fc.constant(null),
  fc.integer({ min: -3_000_000_000, max: 3_000_000_000 }).map(String),
  fc.constantFrom("", " ", "07", "+7", " 7", "1.5", "-0", "0", "2147483647", "2147483648", "x"),
  fc.constantFrom("1941-03-12", "12/03/1941", " 1941-03-12 ", "31/02/1950", "1799-12-31", "2999-12-31", "3/4/2001"),
  fc.constantFrom("a\u0000b", "\ud800", "é😀", "A", "B", "C"),
  fc.string({ maxLength: 12 })
)

const rowOf = (values: ReadonlyArray<string | null | undefined>): Row => {
  const row: Record<string, string | null> = {}
  columns.forEach((c, i) => {
    const v = values[i]
    if (v !== undefined) row[c] = v
  })
  return row
}

/** Values each column mostly holds (so that most rows are plain), now and then anything at all, or nothing. */
const int = fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }).map(String)
const date = fc.date({ min: new Date("1800-01-01"), max: new Date("2999-12-31"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10))
const text = fc.string({ maxLength: 12 })
const typical = [int, fc.option(text), fc.option(text), fc.option(fc.oneof(int, fc.constant(""))), date, fc.option(date), text, fc.option(text)]
const column = (usual: fc.Arbitrary<string | null>) =>
  fc.oneof({ arbitrary: usual, weight: 20 }, { arbitrary: legacyValue, weight: 1 }, { arbitrary: fc.constant(undefined), weight: 1 })
const legacyRow = fc.tuple(...typical.map(column)).map(rowOf)

/** The same value, with its keys in the same order (the JSON text shows both). */
const same = (fast: unknown, schema: unknown) => {
  assert.deepStrictEqual(fast, schema)
  assert.strictEqual(JSON.stringify(fast), JSON.stringify(schema))
}

describe("Decode", () => {
  test.prop([legacyRow], { numRuns: 3000 })("reading a row straight from its text gives what the Schema gives, value or failure", (row) => {
    same(Decode.decoder(ClientRow)(row), Decode.schemaDecoder(ClientRow)(row))
  })

  test.prop([fc.array(fc.option(legacyValue, { nil: undefined, freq: 12 }), { minLength: 2, maxLength: 2 })])(
    "a codec with a check of its own and a field no reader knows decide as the Schema does",
    ([a, b]) => {
      const even = Schema.Struct({ n: EvenFromText, m: LegacyText.OptionalIntFromText })
      const evenRow = rowOf([a, b])
      const renamed: Record<string, string | null> = {}
      if (evenRow.client_no !== undefined) renamed.n = evenRow.client_no
      if (evenRow.forename !== undefined) renamed.m = evenRow.forename
      same(Decode.decoder(even)(renamed), Decode.schemaDecoder(even)(renamed))
      const literalRow: Record<string, string | null> = {}
      if (a !== undefined) literalRow.id = a
      if (b !== undefined) literalRow.kind = b
      same(Decode.decoder(WithLiteral)(literalRow), Decode.schemaDecoder(WithLiteral)(literalRow))
    }
  )

  it("reads a plain row without the Schema and still refuses odd text with the Schema's own words", () => {
    const decode = Decode.decoder(ClientRow)
    const plain = { client_no: "12", forename: " Ann ", dob_text: null, merged_into: "", born: "12/03/1941", died: null, code: "X", extra: "y" }
    same(decode(plain), { client_no: 12, forename: "Ann", dob_text: null, merged_into: null, born: "1941-03-12", died: null, code: "X" })
    const odd = decode({ ...plain, client_no: "07", died: "31/02/1950" })
    assert.isTrue(Decode.isFailure(odd))
    if (Decode.isFailure(odd)) {
      assert.strictEqual(odd.fieldPath, "client_no")
      assert.include(odd.reason, "died:")
    }
  })
})
