import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as Schema from "effect/Schema"
import * as CqcId from "../src/CqcId.ts"
import * as Decode from "../src/Decode.ts"

const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: min, maxLength: max })

describe("CqcId", () => {
  it("reads location and provider ids, trimmed", () => {
    assert.deepStrictEqual(CqcId.parse("1-1000210669"), { _tag: "Valid", cqcId: "1-1000210669" })
    assert.deepStrictEqual(CqcId.parse(" 1-199747506\t"), { _tag: "Valid", cqcId: "1-199747506" })
    assert.deepStrictEqual(CqcId.parse("1-10000792582"), { _tag: "Valid", cqcId: "1-10000792582" })
  })

  it("treats NULL and blank as missing", () => {
    for (const text of [null, "", "  "]) assert.deepStrictEqual(CqcId.parse(text), { _tag: "Missing" })
  })

  it("refuses malformed ids with a reason", () => {
    const cases = [
      ["1000210669", CqcId.reasons.prefix],
      ["I-1000210669", CqcId.reasons.prefix],
      ["1–1000210669", CqcId.reasons.prefix],
      ["RXX-1000210669", CqcId.reasons.prefix],
      ["1-", CqcId.reasons.digitsOnly],
      ["1-10002 10669", CqcId.reasons.digitsOnly],
      ["1-100021066X", CqcId.reasons.digitsOnly],
      ["1-1234567", CqcId.reasons.length],
      ["1-123456789012", CqcId.reasons.length]
    ] as const
    for (const [text, reason] of cases) assert.deepStrictEqual(CqcId.parse(text), { _tag: "Invalid", reason }, text)
  })

  it("decodes a provider row's CQC column", () => {
    const decode = Decode.decoder(Schema.Struct({ cqc_location_id: CqcId.OptionalCqcIdFromText }))
    assert.deepStrictEqual(decode({ cqc_location_id: " 1-1000210669 " }), { cqc_location_id: "1-1000210669" })
    assert.deepStrictEqual(decode({ cqc_location_id: null }), { cqc_location_id: null })
    const failure = decode({ cqc_location_id: "1000210669" })
    assert.isTrue(Decode.isFailure(failure) && failure.reason.includes(CqcId.reasons.prefix))
    for (const blank of ["", " "]) {
      assert.deepStrictEqual(Decode.decoder(Schema.Struct({ id: CqcId.CqcIdFromText }))({ id: blank }), {
        _tag: "DecodeFailure",
        fieldPath: "id",
        reason: "id: expected a CQC identifier, got nothing"
      })
    }
  })

  test.prop([digits(8, 11), fc.constantFrom("", " ", "\t"), fc.constantFrom("", " ", "\n")])(
    "every id of eight to eleven digits reads back to itself",
    (number, before, after) => {
      assert.deepStrictEqual(CqcId.parse(`${before}1-${number}${after}`), { _tag: "Valid", cqcId: `1-${number}` })
    }
  )

  test.prop([fc.oneof(digits(0, 7), digits(12, 20))])("fewer than eight or more than eleven digits is refused", (number) => {
    assert.strictEqual(CqcId.parse(`1-${number}`)._tag, "Invalid")
  })

  test.prop([fc.oneof(fc.string(), fc.string({ unit: "binary" }), digits(1, 12).map((d) => `1-${d}x`))])(
    "a valid id is 1- and digits, and a reason never repeats the text",
    (text) => {
      const parsed = CqcId.parse(text)
      if (parsed._tag === "Valid") assert.match(parsed.cqcId, /^1-\d{8,11}$/)
      if (parsed._tag === "Invalid" && /\d/.test(text)) assert.notInclude(parsed.reason, text.trim())
    }
  )
})
