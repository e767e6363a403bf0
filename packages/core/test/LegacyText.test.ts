import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as Schema from "effect/Schema"
import * as Decode from "../src/Decode.ts"
import * as LegacyText from "../src/LegacyText.ts"

describe("LegacyText", () => {
  it("reads both date formats and refuses impossible dates", () => {
    assert.deepStrictEqual(LegacyText.parseDate("12/03/1941"), { ok: "1941-03-12" })
    assert.deepStrictEqual(LegacyText.parseDate("1941-03-12"), { ok: "1941-03-12" })
    for (const text of ["31/02/1950", "1950-13-01", "unknown", "", "36960", "12.03.41", "0000-01-01"]) {
      assert.isTrue("error" in LegacyText.parseDate(text), text)
    }
  })

  it("reads dates from 1800 to 2999 only, trimmed, and refuses day or month nought", () => {
    assert.deepStrictEqual(LegacyText.parseDate(" 12/03/1941\t"), { ok: "1941-03-12" })
    assert.deepStrictEqual(LegacyText.parseDate(" 1941-03-12 "), { ok: "1941-03-12" })
    assert.deepStrictEqual(LegacyText.parseDate("01/01/1800"), { ok: "1800-01-01" })
    assert.deepStrictEqual(LegacyText.parseDate("31/12/2999"), { ok: "2999-12-31" })
    for (const text of ["31/12/1799", "1799-12-31", "01/01/3000", "3000-01-01", "1950-00-01", "01/00/1950", "1950-01-00", "00/01/1950"]) {
      assert.deepStrictEqual(LegacyText.parseDate(text), { error: `expected a date (yyyy-mm-dd or dd/mm/yyyy), got "${text}"` }, text)
    }
  })

  it("tells text that is no number from a number written oddly, and refuses what a 32-bit column cannot hold", () => {
    assert.deepStrictEqual(LegacyText.parseInt32("4x"), { error: "expected a whole number, got \"4x\"" })
    assert.deepStrictEqual(LegacyText.parseInt32("1.5"), { error: "expected a whole number, got \"1.5\"" })
    assert.deepStrictEqual(LegacyText.parseInt32("07"), {
      error: "expected a whole number written plainly (no spaces, leading zeros or plus sign), got \"07\""
    })
    for (const n of [2_147_483_647, -2_147_483_647, 0, -1]) assert.deepStrictEqual(LegacyText.parseInt32(String(n)), { ok: n })
    for (const text of ["2147483648", "-2147483649", "9007199254740993", "99999999999999999999"]) {
      assert.deepStrictEqual(LegacyText.parseInt32(text), { error: `"${text}" is out of range for a whole number` }, text)
    }
  })

  it("refuses text the target cannot store: a NUL character, half of a surrogate pair", () => {
    assert.strictEqual(LegacyText.unstorable("a\u0000b"), "holds a NUL character, which the target database cannot store")
    for (const text of ["\ud800", "a\udc00b", "\ud83d"]) {
      assert.strictEqual(
        LegacyText.unstorable(text),
        "holds a broken character (half of a UTF-16 surrogate pair), which has no form in the target's encoding",
        JSON.stringify(text)
      )
    }
    for (const text of ["", "plain", "Zoë 😀 ſ"]) assert.isUndefined(LegacyText.unstorable(text), text)
  })

  it("shows a value in a reason quoted, and a long one cut short with its length", () => {
    assert.strictEqual(LegacyText.shown("say \"hi\""), "\"say \\\"hi\\\"\"")
    assert.strictEqual(LegacyText.shown("ü".repeat(60)), `"${"ü".repeat(60)}"`)
    assert.strictEqual(LegacyText.shown("x".repeat(61)), `"${"x".repeat(60)}…" (61 characters)`)
    assert.strictEqual(LegacyText.shown("😀".repeat(70), 5), `"${"😀".repeat(5)}…" (70 characters)`)
  })

  test.prop([fc.date({ min: new Date("1800-01-01T00:00:00Z"), max: new Date("2999-12-31T00:00:00Z"), noInvalidDate: true })])(
    "every calendar date reads the same in ISO and British form",
    (date) => {
      const iso = date.toISOString().slice(0, 10)
      const british = `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`
      assert.deepStrictEqual(LegacyText.parseDate(iso), { ok: iso })
      assert.deepStrictEqual(LegacyText.parseDate(british), { ok: iso })
    }
  )

  it("names the failing fields of a row, every one, in readable words", () => {
    const Row = Schema.Struct({ client_no: LegacyText.IntFromText, dob: LegacyText.DateFromText, note: LegacyText.OptionalText })
    const decode = Decode.decoder(Row)
    assert.deepStrictEqual(decode({ client_no: "42", dob: "01/02/1990", note: "  " }), { client_no: 42, dob: "1990-02-01", note: null })
    // a number written any other way would give the same number as another text: refused, not guessed at
    for (const text of [" 42 ", "042", "+42", "-0"]) assert.isTrue(Decode.isFailure(decode({ client_no: text, dob: "01/02/1990", note: null })), text)
    const failure = decode({ client_no: "4x", dob: "soon", note: null })
    assert.isTrue(Decode.isFailure(failure))
    if (Decode.isFailure(failure)) {
      assert.strictEqual(failure.fieldPath, "client_no")
      assert.include(failure.reason, "client_no: expected a whole number")
      assert.include(failure.reason, "dob: expected a date")
    }
    assert.deepStrictEqual(decode({ client_no: "7", dob: "1990-01-01", note: "  a note\t" }), { client_no: 7, dob: "1990-01-01", note: "a note" })
    const missing = decode({ client_no: null, dob: "1990-01-01", note: null })
    assert.isTrue(Decode.isFailure(missing) && missing.fieldPath === "client_no")
  })
})
