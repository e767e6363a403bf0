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
    const missing = decode({ client_no: null, dob: "1990-01-01", note: null })
    assert.isTrue(Decode.isFailure(missing) && missing.fieldPath === "client_no")
  })
})
