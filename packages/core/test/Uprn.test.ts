import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as Schema from "effect/Schema"
import * as Decode from "../src/Decode.ts"
import * as Uprn from "../src/Uprn.ts"

const uprn = fc.bigInt({ min: 1n, max: 999_999_999_999n })
const padding = fc.tuple(fc.constantFrom("", " ", "  ", "\t"), fc.constantFrom("", "0", "000"), fc.constantFrom("", " ", "\t "))

describe("Uprn", () => {
  it("reads UPRNs up to twelve digits, the largest exactly", () => {
    assert.deepStrictEqual(Uprn.parse("100023336956"), { _tag: "Valid", uprn: "100023336956" })
    assert.deepStrictEqual(Uprn.parse(" 999999999999 "), { _tag: "Valid", uprn: "999999999999" })
    assert.deepStrictEqual(Uprn.parse("0000100023336956"), { _tag: "Valid", uprn: "100023336956" })
    assert.deepStrictEqual(Uprn.parse("7"), { _tag: "Valid", uprn: "7" })
  })

  it("treats NULL and blank as missing", () => {
    for (const text of [null, "", "  "]) assert.deepStrictEqual(Uprn.parse(text), { _tag: "Missing" })
  })

  it("refuses what is not a UPRN with a reason", () => {
    const cases = [
      ["1000233369561", Uprn.reasons.tooLong],
      ["10002333695A", Uprn.reasons.digitsOnly],
      ["1.00023E+11", Uprn.reasons.digitsOnly],
      ["100023336956.0", Uprn.reasons.digitsOnly],
      ["+100023336956", Uprn.reasons.digitsOnly],
      ["-1", Uprn.reasons.digitsOnly],
      ["1000 2333 6956", Uprn.reasons.digitsOnly],
      ["000", Uprn.reasons.zero]
    ] as const
    for (const [text, reason] of cases) assert.deepStrictEqual(Uprn.parse(text), { _tag: "Invalid", reason }, text)
  })

  it("decodes a legacy address row's UPRN column", () => {
    const decode = Decode.decoder(Schema.Struct({ uprn: Uprn.OptionalUprnFromText }))
    assert.deepStrictEqual(decode({ uprn: " 00100023336956 " }), { uprn: "100023336956" })
    assert.deepStrictEqual(decode({ uprn: "  " }), { uprn: null })
    const failure = decode({ uprn: "UNKNOWN" })
    assert.isTrue(Decode.isFailure(failure) && failure.reason.includes(Uprn.reasons.digitsOnly))
    for (const blank of ["", "  "]) {
      assert.deepStrictEqual(Decode.decoder(Schema.Struct({ uprn: Uprn.UprnFromText }))({ uprn: blank }), {
        _tag: "DecodeFailure",
        fieldPath: "uprn",
        reason: "uprn: expected a UPRN, got nothing"
      })
    }
  })

  test.prop([uprn, padding])("every UPRN reads back to itself, however padded", (n, [before, zeros, after]) => {
    assert.deepStrictEqual(Uprn.parse(`${before}${zeros}${n}${after}`), { _tag: "Valid", uprn: String(n) })
  })

  test.prop([fc.bigInt({ min: 1_000_000_000_000n, max: 10n ** 30n })])("thirteen digits or more is too many", (n) => {
    assert.deepStrictEqual(Uprn.parse(String(n)), { _tag: "Invalid", reason: Uprn.reasons.tooLong })
  })

  test.prop([fc.string(), fc.string({ unit: "binary" })])(
    "a valid UPRN is exactly the digits given, and a reason never repeats the text",
    (a, b) => {
      for (const text of [a, b, `${a}1${b}`]) {
        const parsed = Uprn.parse(text)
        if (parsed._tag === "Valid") {
          assert.match(parsed.uprn, /^[1-9]\d{0,11}$/)
          assert.strictEqual(BigInt(parsed.uprn), BigInt(text.trim()))
        }
        if (parsed._tag === "Invalid") {
          assert.include(Object.values(Uprn.reasons), parsed.reason)
          if (/\d/.test(text)) assert.notInclude(parsed.reason, text.trim())
        }
      }
    }
  )
})
