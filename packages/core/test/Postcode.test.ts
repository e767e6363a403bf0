import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as Postcode from "../src/Postcode.ts"

const letters = (chars: string) => fc.constantFrom(...chars)
const digit = letters("0123456789")
const first = letters("ABCDEFGHIJKLMNOPRSTUWYZ")
const second = letters("ABCDEFGHKLMNOPQRSTUVWXY")
const third = letters("ABCDEFGHJKPSTUW")
const fourth = letters("ABEHMNPRVWXY")
const inwardLetter = letters("ABDEFGHJLNPQRSTUWXYZ")

/** Outward codes of each shape: A9, A99, A9A, AA9, AA99, AA9A. */
const outward = fc.oneof(
  fc.tuple(first, digit),
  fc.tuple(first, digit, digit),
  fc.tuple(first, digit, third),
  fc.tuple(first, second, digit),
  fc.tuple(first, second, digit, digit),
  fc.tuple(first, second, digit, fourth)
).map((chars) => chars.join(""))

const inward = fc.tuple(digit, inwardLetter, inwardLetter).map((chars) => chars.join(""))

/** Postcodes in the Royal Mail form, one space before the inward code. */
const postcode = fc.tuple(outward, inward).map(([out, inw]) => `${out} ${inw}`)

/** The simplified pattern of the reference, as an independent check on what is called valid. */
const simplified = /^[A-Z]{1,2}\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2}$/

/** The same text with each letter's case and the spaces between characters chosen at random. */
const retyped = (text: string) =>
  fc.tuple(
    fc.array(fc.boolean(), { minLength: text.length, maxLength: text.length }),
    fc.array(fc.constantFrom("", "", " ", "  ", "\t", "\u00a0"), { minLength: text.length + 1, maxLength: text.length + 1 })
  ).map(([lower, gaps]) => {
    const chars = [...text.replaceAll(" ", "")]
    return (gaps[0] ?? "") + chars.map((c, i) => (lower[i] ? c.toLowerCase() : c) + gaps[i + 1]).join("")
  })

/** Text that looks like a postcode now and then: letters of both cases, digits, O and zero often, spaces. */
const postcodeish = fc.string({ unit: fc.constantFrom(..."ABZQVXIJOo0019aswnr  "), maxLength: 9 })

const reasonList: ReadonlyArray<string> = Object.values(Postcode.reasons)

describe("Postcode", () => {
  it("cleans postcodes typed every which way into the Royal Mail form", () => {
    for (const [text, postcode] of [
      ["sw1a 1aa", "SW1A 1AA"],
      ["SW1A1AA", "SW1A 1AA"],
      ["  sw1a   1aa ", "SW1A 1AA"],
      ["M1 1AE", "M1 1AE"],
      ["b33 8th", "B33 8TH"],
      ["CR2 6XH", "CR2 6XH"],
      ["DN551PT", "DN55 1PT"],
      ["W1A 0AX", "W1A 0AX"],
      ["EC1A 1BB", "EC1A 1BB"],
      ["ol1 1aa", "OL1 1AA"],
      ["so14 3ab", "SO14 3AB"],
      ["gir0aa", "GIR 0AA"]
    ] as const) {
      assert.deepStrictEqual(Postcode.normalise(text), { _tag: "Valid", postcode }, text)
    }
  })

  it("keeps the NHS pseudo-postcodes but flags them", () => {
    for (const text of ["ZZ99 3CZ", "zz993vz", "ZZ99 3WZ"]) {
      assert.deepStrictEqual(Postcode.normalise(text), { _tag: "Pseudo", postcode: `ZZ99 ${text.slice(-3).toUpperCase()}` })
    }
  })

  it("treats NULL and blank as missing", () => {
    for (const text of [null, "", "   ", "\t"]) assert.deepStrictEqual(Postcode.normalise(text), { _tag: "Missing" })
  })

  it("reports an O typed for a zero, and a zero for an O, rather than fixing them", () => {
    const cases = [
      ["SW1A OAA", Postcode.reasons.letterO],
      ["BO 1AA", Postcode.reasons.letterO],
      ["GIR OAA", Postcode.reasons.letterO],
      ["B1O 1AA", Postcode.reasons.letterO],
      ["0L1 1AA", Postcode.reasons.digitZero],
      ["SW1A 10A", Postcode.reasons.digitZero],
      ["0L1 OAA", Postcode.reasons.swapped],
      ["SW1A OCA", Postcode.reasons.letterO],
      ["SW1A 1C0", Postcode.reasons.digitZero],
      // no swap mends these (Z is never a second letter), but the first character is a letter wherever it stands
      ["0Z1 1AA", Postcode.reasons.digitZero],
      ["0I12 1AA", Postcode.reasons.digitZero]
    ] as const
    for (const [text, reason] of cases) assert.deepStrictEqual(Postcode.normalise(text), { _tag: "Invalid", reason }, text)
  })

  it("refuses outward-only, malformed and disallowed-letter postcodes with a reason", () => {
    const cases = [
      ["SW1A", Postcode.reasons.outwardOnly],
      ["m1", Postcode.reasons.outwardOnly],
      ["1AA", Postcode.reasons.tooShort],
      ["SW1A 1AA 1", Postcode.reasons.tooLong],
      ["SW1A-1AA", Postcode.reasons.characters],
      ["ſw1a 1aa", Postcode.reasons.characters],
      ["SW1A 1CA", Postcode.reasons.inwardLetters],
      ["SW1A AAA", Postcode.reasons.inwardShape],
      ["QA1 1AA", Postcode.reasons.outwardLetters],
      ["AZ1 1AA", Postcode.reasons.outwardLetters],
      ["W1Z 1AA", Postcode.reasons.outwardLetters],
      ["SW1C 1AA", Postcode.reasons.outwardLetters],
      ["SWA 1AA", Postcode.reasons.outwardShape],
      ["1W1 1AA", Postcode.reasons.outwardShape]
    ] as const
    for (const [text, reason] of cases) assert.deepStrictEqual(Postcode.normalise(text), { _tag: "Invalid", reason }, text)
  })

  test.prop([postcode.chain((p) => fc.tuple(fc.constant(p), retyped(p)))])(
    "every valid postcode survives any change of case and any extra or missing spaces",
    ([canonical, typed]) => {
      assert.deepStrictEqual(Postcode.normalise(typed), { _tag: "Valid", postcode: canonical })
      assert.match(canonical, simplified)
    }
  )

  test.prop([fc.oneof(postcodeish, postcode, fc.string(), fc.string({ unit: "grapheme" }))])(
    "normalising is idempotent, and what it calls valid fits the pattern",
    (text) => {
      const once = Postcode.normalise(text)
      if (once._tag === "Valid" || once._tag === "Pseudo") {
        assert.deepStrictEqual(Postcode.normalise(once.postcode), once)
        if (once._tag === "Valid") assert.isTrue(simplified.test(once.postcode) || once.postcode === "GIR 0AA", once.postcode)
      }
    }
  )

  test.prop([fc.oneof(postcodeish, postcode.map((p) => p.replace("1", "O"))).chain((t) => fc.tuple(fc.constant(t), retyped(t)))])(
    "an invalid postcode stays invalid however it is cased or spaced, so normalising again never makes it valid",
    ([text, typed]) => {
      const once = Postcode.normalise(text)
      fc.pre(once._tag === "Invalid" && typed.trim() !== "")
      assert.strictEqual(Postcode.normalise(typed)._tag, "Invalid")
    }
  )

  test.prop([postcode, fc.constantFrom(1, 2)])(
    "an O where the inward digit must be, or a zero where an inward letter must be, is reported as such",
    (p, letter) => {
      const inwardAt = p.length - 3
      const withO = `${p.slice(0, inwardAt)}O${p.slice(inwardAt + 1)}`
      const withZero = `${p.slice(0, inwardAt + letter)}0${p.slice(inwardAt + letter + 1)}`
      assert.deepStrictEqual(Postcode.normalise(withO), { _tag: "Invalid", reason: Postcode.reasons.letterO })
      assert.deepStrictEqual(Postcode.normalise(withZero), { _tag: "Invalid", reason: Postcode.reasons.digitZero })
    }
  )

  test.prop([fc.oneof(postcodeish, postcode.map((p) => p.replace(" ", "O")), fc.string(), fc.string({ unit: "binary" }))])(
    "a reason is one of the fixed reasons and never repeats the postcode",
    (text) => {
      const parsed = Postcode.normalise(text)
      if (parsed._tag !== "Invalid") return
      assert.include(reasonList, parsed.reason)
      if (/\d/.test(text)) {
        assert.notInclude(parsed.reason, text.trim())
        assert.notInclude(parsed.reason.toUpperCase(), text.replace(/\s+/g, "").toUpperCase())
      }
    }
  )
})
