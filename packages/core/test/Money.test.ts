import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as Money from "../src/Money.ts"

describe("Money", () => {
  it("parses amounts as legacy systems write them", () => {
    assert.strictEqual(Money.parsePounds("1234.5"), 123450)
    assert.strictEqual(Money.parsePounds("£1,234.56"), 123456)
    assert.strictEqual(Money.parsePounds(" 0.10 "), 10)
    assert.strictEqual(Money.parsePounds("-12.00"), -1200)
  })

  it("refuses what is not money rather than guessing", () => {
    for (const text of ["", "TBC", "12.345", "1e3", "£", "12,50.0.1", "0x10"]) {
      assert.isTrue(Money.isError(Money.parsePounds(text)), text)
    }
  })

  it("adds up where binary floating point does not", () => {
    const a = Money.parsePounds("0.10") as number
    const b = Money.parsePounds("0.20") as number
    assert.strictEqual(Money.toPounds(a + b), "0.30")
  })

  test.prop([fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER })])(
    "pence to pounds and back is exact, for every safe amount",
    (pence) => {
      const pounds = Money.toPounds(pence)
      assert.match(pounds, /^-?\d+\.\d{2}$/)
      assert.strictEqual(Money.parsePounds(pounds), pence)
      assert.strictEqual(Money.fromPounds(pounds), pence)
    }
  )
})

/** Pence as legacy extracts write amounts: plain, with a pound sign and thousands commas, or bracketed when negative. */
const written = (pence: number) => {
  const pounds = Money.toPounds(Math.abs(pence))
  const [whole = "", fraction = ""] = pounds.split(".")
  const commas = whole.replace(/\B(?=(\d{3})+$)/g, ",")
  const short = pounds.replace(/\.?0+$/, "") || "0"
  const sign = pence < 0 ? "-" : ""
  const styles = [
    `${sign}${pounds}`,
    `${sign}${short}`,
    `${sign}£${commas}.${fraction}`,
    `£${sign}${commas}.${fraction}`,
    pence < 0 ? `(${pounds})` : pounds,
    pence < 0 ? `(£${commas}.${fraction})` : `£${commas}.${fraction}`
  ]
  return fc.tuple(fc.constantFrom(...styles), fc.constantFrom("", " ", "  "), fc.constantFrom("", " ", "\t"))
    .map(([text, before, after]) => `${before}${text}${after}`)
}

/** Pence within `max` either side of zero, with one of its written forms. */
const writtenAmount = (max: number) => fc.integer({ min: -max, max }).chain((p) => fc.tuple(fc.constant(p), written(p)))

const amountReasonList: ReadonlyArray<string> = Object.values(Money.amountReasons)

describe("Money.parseLegacyAmount", () => {
  const amount = (pence: number) => ({ _tag: "Amount", pence }) as const
  const invalid = (reason: string) => ({ _tag: "Invalid", reason }) as const

  it("reads amounts as legacy extracts write them", () => {
    for (const [text, pence] of [
      ["1234.5", 123450],
      ["£1,234.50", 123450],
      ["(12.00)", -1200],
      ["(£1,234.50)", -123450],
      ["-12", -1200],
      ["-£12.00", -1200],
      ["£-12.00", -1200],
      ["  £ 7.05 ", 705],
      ["1,234,567.89", 123456789],
      ["1,234", 123400],
      ["0", 0]
    ] as const) {
      assert.deepStrictEqual(Money.parseLegacyAmount(text), amount(pence), text)
    }
  })

  it("reads minus nothing as zero, not minus zero", () => {
    for (const text of ["-0.00", "(0.00)", "£-0"]) {
      const parsed = Money.parseLegacyAmount(text)
      assert.isTrue(parsed._tag === "Amount" && Object.is(parsed.pence, 0), text)
    }
  })

  it("treats NULL and blank as missing", () => {
    for (const text of [null, "", "   "]) assert.deepStrictEqual(Money.parseLegacyAmount(text), { _tag: "Missing" })
  })

  it("refuses European forms, loose grouping and extra places rather than guessing", () => {
    const cases = [
      ["1.234,50", Money.amountReasons.decimalComma],
      ["12,50", Money.amountReasons.decimalComma],
      ["12,5", Money.amountReasons.decimalComma],
      ["£1.234.567,89", Money.amountReasons.decimalComma],
      ["12,50.0", Money.amountReasons.grouping],
      ["1,2345.00", Money.amountReasons.grouping],
      ["1,234,5", Money.amountReasons.grouping],
      ["12.345", Money.amountReasons.decimalPlaces],
      ["1.234", Money.amountReasons.decimalPlaces],
      ["99999999999999999", Money.amountReasons.tooLarge],
      ["TBC", Money.amountReasons.notAnAmount],
      ["£", Money.amountReasons.notAnAmount],
      ["-", Money.amountReasons.notAnAmount],
      ["(-12.00)", Money.amountReasons.notAnAmount],
      ["--12", Money.amountReasons.notAnAmount],
      ["-£-12", Money.amountReasons.notAnAmount],
      ["+12", Money.amountReasons.notAnAmount],
      ["12-", Money.amountReasons.notAnAmount],
      ["1e3", Money.amountReasons.notAnAmount],
      [".50", Money.amountReasons.notAnAmount],
      ["12.", Money.amountReasons.notAnAmount],
      ["12 .50", Money.amountReasons.notAnAmount],
      ["£12.00 CR", Money.amountReasons.notAnAmount],
      ["€12.00", Money.amountReasons.notAnAmount]
    ] as const
    for (const [text, reason] of cases) assert.deepStrictEqual(Money.parseLegacyAmount(text), invalid(reason), text)
  })

  test.prop([writtenAmount(Number.MAX_SAFE_INTEGER)])(
    "every amount, written in each accepted style, reads back to exactly its pence",
    ([pence, text]) => {
      assert.deepStrictEqual(Money.parseLegacyAmount(text), amount(pence), text)
    }
  )

  test.prop([fc.array(writtenAmount(1_000_000_000_000), { maxLength: 200 })])(
    "the sum of parsed amounts is the exact sum: no rounding drift over any list",
    (items) => {
      let total = 0
      for (const [, text] of items) {
        const parsed = Money.parseLegacyAmount(text)
        assert.strictEqual(parsed._tag, "Amount", text)
        if (parsed._tag === "Amount") total += parsed.pence
      }
      assert.strictEqual(BigInt(total), items.reduce((sum, [pence]) => sum + BigInt(pence), 0n))
    }
  )

  test.prop([fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: fc.constantFrom(..."0123456789,.£()- ") }))])(
    "never throws, and a reason is one of the fixed reasons and never repeats the amount",
    (text) => {
      const parsed = Money.parseLegacyAmount(text)
      if (parsed._tag === "Amount") assert.isTrue(Number.isSafeInteger(parsed.pence))
      if (parsed._tag === "Invalid") {
        assert.include(amountReasonList, parsed.reason)
        if (/\d/.test(text)) assert.notInclude(parsed.reason, text.trim())
      }
    }
  )
})
