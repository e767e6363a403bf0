import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as NhsNumber from "../src/NhsNumber.ts"

const nineDigits = fc.integer({ min: 0, max: 999_999_999 }).map((n) => String(n).padStart(9, "0"))

describe("NhsNumber", () => {
  it("accepts a published example and rejects its neighbour", () => {
    assert.deepStrictEqual(NhsNumber.parse("943 476 5919"), { _tag: "Valid", nhsNumber: "9434765919" })
    assert.strictEqual(NhsNumber.parse("9434765918")._tag, "Invalid")
  })

  it("refuses placeholders and test-range numbers even when their check digit fits", () => {
    assert.isTrue(NhsNumber.isValid("0000000000"))
    assert.strictEqual(NhsNumber.parse("0000000000")._tag, "Invalid")
    // 999 123 457 has a check digit (8): a number that passes Modulus 11 and is refused only for its range
    const nine = "999123457"
    const check = NhsNumber.checkDigit(nine)
    assert.strictEqual(check, 8)
    assert.isTrue(NhsNumber.isValid(`${nine}${check}`))
    assert.deepStrictEqual(NhsNumber.parse(`${nine}${check}`), { _tag: "Invalid", reason: "an NHS number of the 999 test range, never issued to a person" })
  })

  test.prop([fc.integer({ min: 0, max: 999_999 }).map((n) => `999${String(n).padStart(6, "0")}`)])(
    "refuses every number of the 999 test range whose check digit fits",
    (nine) => {
      const check = NhsNumber.checkDigit(nine)
      // 999 999 999 9 is refused first as a placeholder, one digit repeated
      fc.pre(check !== undefined && nine !== "999999999")
      const parsed = NhsNumber.parse(`${nine}${check}`)
      assert.isTrue(parsed._tag === "Invalid" && parsed.reason.includes("999 test range"))
    }
  )

  it("gives the check digit 0 for a remainder of nothing, and none for a remainder of ten", () => {
    assert.strictEqual(NhsNumber.checkDigit("400000002"), 0)
    assert.isTrue(NhsNumber.isValid("4000000020"))
    // no NHS number begins with nine digits whose remainder is ten
    assert.isUndefined(NhsNumber.checkDigit("123456789"))
    for (let d = 0; d <= 9; d++) assert.strictEqual(NhsNumber.parse(`123456789${d}`)._tag, "Invalid")
  })

  it("treats blanks and the usual placeholders as not known", () => {
    for (const text of [null, "", "  ", "N/K", "nk", "Unknown", "NOT KNOWN", "not known", "N/A", "n/a", " NK "]) {
      assert.strictEqual(NhsNumber.parse(text)._tag, "NotKnown", String(text))
    }
  })

  it("drops the spaces and hyphens typed inside a number", () => {
    for (const text of ["943-476-5919", "943 476-5919", " 9434765919 ", "943\t476\t5919"]) {
      assert.deepStrictEqual(NhsNumber.parse(text), { _tag: "Valid", nhsNumber: "9434765919" }, text)
    }
  })

  it("refuses anything but ten digits for that reason, before the check digit is looked at", () => {
    for (const text of ["943476591", "94347659190", "943476591X", "9434765919 1", "+449434765919", "NHS 9434765919"]) {
      assert.deepStrictEqual(NhsNumber.parse(text), { _tag: "Invalid", reason: "an NHS number has ten digits" }, text)
    }
    // an eleventh digit never passes the check, even when the first ten would
    for (const digits of ["94347659190", "943476591", "943476591X", ""]) assert.isFalse(NhsNumber.isValid(digits), digits)
  })

  it("never repeats the number in its reason", () => {
    const parsed = NhsNumber.parse("9434765918")
    assert.isTrue(parsed._tag === "Invalid" && !parsed.reason.includes("9434765918"))
  })

  test.prop([nineDigits])("a number with its check digit is valid; every other last digit is not", (nine) => {
    const check = NhsNumber.checkDigit(nine)
    for (let d = 0; d <= 9; d++) {
      assert.strictEqual(NhsNumber.isValid(`${nine}${d}`), check === d)
    }
  })

  test.prop([nineDigits, fc.integer({ min: 0, max: 8 }), fc.integer({ min: 1, max: 9 })])(
    "changing any one of the first nine digits of a valid number makes it invalid",
    (nine, position, delta) => {
      const check = NhsNumber.checkDigit(nine)
      fc.pre(check !== undefined)
      const changed = nine.slice(0, position) + String((Number(nine[position]) + delta) % 10) + nine.slice(position + 1)
      assert.isFalse(NhsNumber.isValid(`${changed}${check}`))
    }
  )
})
