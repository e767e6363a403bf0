/**
 * Money against oracles that owe nothing to it: tables of texts and the pence they are, written out by hand, and
 * properties whose expected pence are worked out with BigInt from the digits an amount was written from — never
 * through Money, nor through decimal.js, which Money itself uses. The properties reach both ways Money reads an
 * amount: digit by digit (up to 13 whole digits and two places) and by decimal arithmetic (anything longer).
 */
import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as Money from "../src/Money.ts"

const reasons = Money.amountReasons
const maxPence = BigInt(Number.MAX_SAFE_INTEGER)

/** The first and second path of Money: a plain amount read digit by digit, or decimal arithmetic. */
const fastPath = (whole: string, fraction: string) => whole.length <= 13 && fraction.length <= 2

// ---- the oracles -------------------------------------------------------------------------------------------------

type Expected = { readonly pence: bigint } | { readonly refused: "decimalPlaces" | "tooLarge" }

/** What an amount written with these digits is: pence by integer arithmetic, or why it must be refused. */
const oracle = (whole: string, fraction: string, negative: boolean): Expected => {
  if (fraction.length > 2) return { refused: "decimalPlaces" }
  const pence = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, "0"))
  if (pence > maxPence) return { refused: "tooLarge" }
  return { pence: negative ? -pence : pence }
}

/** Pence as pounds with two places, by BigInt division: `-1234.05`. */
const poundsOf = (pence: bigint): string => {
  const whole = pence < 0n ? -pence : pence
  return `${pence < 0n ? "-" : ""}${whole / 100n}.${String(whole % 100n).padStart(2, "0")}`
}

/** Thousands separators, every three digits from the right. */
const grouped = (digits: string): string => digits.replace(/\B(?=(\d{3})+$)/g, ",")

// ---- the written amounts -----------------------------------------------------------------------------------------

const digit = fc.constantFrom(..."0123456789")

/**
 * Whole pounds as digits: small, up to the fast path's 13 digits, either side of the largest safe amount (14
 * digits), or far beyond it; sometimes with leading zeros, which take a small amount down the general path.
 */
const wholeArb = fc.tuple(
  fc.oneof(
    fc.bigInt({ min: 0n, max: 999n }),
    fc.bigInt({ min: 0n, max: 10n ** 13n - 1n }),
    fc.bigInt({ min: maxPence / 100n - 10_000n, max: maxPence / 100n + 10_000n }),
    fc.bigInt({ min: 10n ** 13n, max: 10n ** 20n })
  ),
  fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 }))
).map(([n, zeros]) => `${"0".repeat(zeros)}${n}`)

/** The places after the point, as written: none (no point), one, two, or three and four (too many, zeros too). */
const fractionArb = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: digit, minLength: 0, maxLength: 2 }) },
  { weight: 1, arbitrary: fc.string({ unit: digit, minLength: 3, maxLength: 4 }) }
)

interface Written {
  readonly whole: string
  readonly fraction: string
  readonly negative: boolean
  readonly text: string
}

const legacyStyles = ["plain", "pound", "commas", "pound commas", "pound minus", "brackets", "brackets pound"] as const

/** An amount as a legacy extract writes it, with its digits and sign kept apart for the oracle. */
const legacyWritten: fc.Arbitrary<Written> = fc.record({
  whole: wholeArb,
  fraction: fractionArb,
  negative: fc.boolean(),
  style: fc.constantFrom(...legacyStyles),
  before: fc.constantFrom("", " ", "  "),
  after: fc.constantFrom("", " ", "\t")
}).map(({ whole, fraction, negative, style, before, after }) => {
  const number = `${style.includes("commas") ? grouped(whole) : whole}${fraction === "" ? "" : `.${fraction}`}`
  const minus = negative ? "-" : ""
  const body = style === "plain" || style === "commas"
    ? `${minus}${number}`
    : style === "pound" || style === "pound commas"
    ? `${minus}£${number}`
    : style === "pound minus"
    ? `£${minus}${number}`
    : negative
    ? style === "brackets" ? `(${number})` : `(£${number})`
    : style === "brackets" ? number : `£${number}`
  return { whole, fraction, negative, text: `${before}${body}${after}` }
})

/** An amount as `parsePounds` reads it: plain, after a pound sign, with thousands commas. */
const poundsWritten: fc.Arbitrary<Written> = fc.record({
  whole: wholeArb,
  fraction: fractionArb,
  negative: fc.boolean(),
  pound: fc.constantFrom("", "£", "£ "),
  commas: fc.boolean(),
  before: fc.constantFrom("", " "),
  after: fc.constantFrom("", " ", "\t")
}).map(({ whole, fraction, negative, pound, commas, before, after }) => ({
  whole,
  fraction,
  negative,
  text: `${before}${pound}${negative ? "-" : ""}${commas ? grouped(whole) : whole}${fraction === "" ? "" : `.${fraction}`}${after}`
}))

const runs = Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30)

// ---- tables ------------------------------------------------------------------------------------------------------

const amount = (pence: number) => ({ _tag: "Amount", pence }) as const
const invalid = (reason: string) => ({ _tag: "Invalid", reason }) as const

/** Texts as legacy extracts write them, and what each is: pence, or the reason it is refused. */
const legacyTable: ReadonlyArray<readonly [string, number | string]> = [
  // plain
  ["0", 0],
  ["7", 700],
  ["12", 1200],
  ["12.50", 1250],
  ["12.05", 1205],
  ["0.01", 1],
  ["0.10", 10],
  ["0.99", 99],
  ["1234.5", 123450],
  ["007.50", 750],
  // halves: half a pound is fifty pence, with one place or two
  ["0.5", 50],
  ["12.5", 1250],
  ["-0.5", -50],
  // pound signs, thousands separators, spaces
  ["£7", 700],
  ["£1,234.50", 123450],
  ["1,234", 123400],
  ["1,234,567.89", 123456789],
  ["  £ 7.05 ", 705],
  ["\t12.00\t", 1200],
  // negatives and brackets
  ["-12", -1200],
  ["-£12.00", -1200],
  ["£-12.00", -1200],
  ["(12.00)", -1200],
  ["( 12.50 )", -1250],
  ["(£1,234.50)", -123450],
  // the fast path's largest, then the general path, up to the largest safe amount
  ["9999999999999.99", 999_999_999_999_999],
  ["10000000000000.00", 1_000_000_000_000_000],
  ["00000000000000000001.23", 123],
  ["90071992547409.91", 9_007_199_254_740_991],
  ["£90,071,992,547,409.91", 9_007_199_254_740_991],
  ["-90071992547409.91", -9_007_199_254_740_991],
  ["(£90,071,992,547,409.91)", -9_007_199_254_740_991],
  // beyond it
  ["90071992547409.92", reasons.tooLarge],
  ["-90071992547409.92", reasons.tooLarge],
  ["100000000000000", reasons.tooLarge],
  ["99999999999999999", reasons.tooLarge],
  // more than two places is refused, never rounded: the amounts binary floating point rounds the wrong way included
  ["1.005", reasons.decimalPlaces],
  ["2.675", reasons.decimalPlaces],
  ["0.125", reasons.decimalPlaces],
  ["12.345", reasons.decimalPlaces],
  ["1,234.567", reasons.decimalPlaces],
  // three places ending in zero: as likely one thousand with a full stop for a separator as one pound
  ["1.000", reasons.decimalPlaces],
  ["1.500", reasons.decimalPlaces],
  ["1,234.500", reasons.decimalPlaces],
  ["1.234", reasons.decimalPlaces],
  // a comma for the decimal point (European style)
  ["1.234,50", reasons.decimalComma],
  ["12,50", reasons.decimalComma],
  ["12,5", reasons.decimalComma],
  ["-12,50", reasons.decimalComma],
  ["£1.234.567,89", reasons.decimalComma],
  // thousands separators out of groups of three
  ["12,50.0", reasons.grouping],
  ["1,2345.00", reasons.grouping],
  ["1,234,5", reasons.grouping],
  ["1234,567.00", reasons.grouping],
  // not amounts at all
  ["TBC", reasons.notAnAmount],
  ["£", reasons.notAnAmount],
  ["-", reasons.notAnAmount],
  ["(-12.00)", reasons.notAnAmount],
  ["--12", reasons.notAnAmount],
  ["-£-12", reasons.notAnAmount],
  ["+12", reasons.notAnAmount],
  ["12-", reasons.notAnAmount],
  ["1e3", reasons.notAnAmount],
  [".50", reasons.notAnAmount],
  ["12.", reasons.notAnAmount],
  ["12 .50", reasons.notAnAmount],
  ["12.5.0", reasons.notAnAmount],
  ["£12.00 CR", reasons.notAnAmount],
  ["€12.00", reasons.notAnAmount],
  ["0x10", reasons.notAnAmount],
  ["NaN", reasons.notAnAmount],
  ["Infinity", reasons.notAnAmount]
]

/** Texts `parsePounds` is given, and what each is: pence, or a pattern of the reason it is refused. */
const poundsTable: ReadonlyArray<readonly [string, number | RegExp]> = [
  ["0", 0],
  ["1234.5", 123450],
  ["£1,234.56", 123456],
  [" 0.10 ", 10],
  ["£ 12.50", 1250],
  ["0.5", 50],
  ["12.05", 1205],
  ["-12.00", -1200],
  ["£-12", -1200],
  ["-0.5", -50],
  ["9999999999999.99", 999_999_999_999_999],
  ["00000000000001.50", 150],
  ["90071992547409.91", 9_007_199_254_740_991],
  ["-90071992547409.91", -9_007_199_254_740_991],
  ["90071992547409.92", /too large an amount/],
  ["1.005", /more than two decimal places/],
  ["12.345", /more than two decimal places/],
  ["1.500", /more than two decimal places/],
  ["", /not an amount of money/],
  ["TBC", /not an amount of money/],
  ["£", /not an amount of money/],
  ["1e3", /not an amount of money/],
  ["12,50.0.1", /not an amount of money/],
  ["0x10", /not an amount of money/],
  ["-£12", /not an amount of money/],
  ["(12.00)", /not an amount of money/],
  ["+12", /not an amount of money/],
  [".5", /not an amount of money/],
  ["5.", /not an amount of money/]
]

/** Pence and the pounds they are written as. */
const formatTable: ReadonlyArray<readonly [number, string]> = [
  [0, "0.00"],
  [1, "0.01"],
  [5, "0.05"],
  [10, "0.10"],
  [50, "0.50"],
  [99, "0.99"],
  [100, "1.00"],
  [101, "1.01"],
  [1205, "12.05"],
  [123450, "1234.50"],
  [-1, "-0.01"],
  [-50, "-0.50"],
  [-100, "-1.00"],
  [-123456, "-1234.56"],
  [999_999_999_999_999, "9999999999999.99"],
  [9_007_199_254_740_991, "90071992547409.91"],
  [-9_007_199_254_740_991, "-90071992547409.91"]
]

describe("Money.parseLegacyAmount", () => {
  it(`reads each of ${legacyTable.length} texts as the table says`, () => {
    assert.isAtLeast(legacyTable.length, 40)
    for (const [text, expected] of legacyTable) {
      assert.deepStrictEqual(Money.parseLegacyAmount(text), typeof expected === "number" ? amount(expected) : invalid(expected), JSON.stringify(text))
    }
  })

  it("reads minus nothing as zero, not minus zero", () => {
    for (const text of ["-0", "-0.00", "(0.00)", "£-0", "-00000000000000000.00"]) {
      const parsed = Money.parseLegacyAmount(text)
      assert.isTrue(parsed._tag === "Amount" && Object.is(parsed.pence, 0), text)
    }
  })

  it("treats NULL and blank as missing", () => {
    for (const text of [null, "", "   "]) assert.deepStrictEqual(Money.parseLegacyAmount(text), { _tag: "Missing" })
  })

  it("reads every amount as integer arithmetic on its digits does, by both paths", () => {
    const paths = { fast: 0, general: 0 }
    fc.assert(
      fc.property(legacyWritten, ({ whole, fraction, negative, text }) => {
        paths[fastPath(whole, fraction) ? "fast" : "general"]++
        const expected = oracle(whole, fraction, negative)
        const parsed = Money.parseLegacyAmount(text)
        if ("refused" in expected) {
          assert.deepStrictEqual(parsed, invalid(reasons[expected.refused]), text)
        } else {
          assert.strictEqual(parsed._tag, "Amount", text)
          if (parsed._tag !== "Amount") return
          assert.isTrue(Number.isSafeInteger(parsed.pence) && !Object.is(parsed.pence, -0), text)
          assert.strictEqual(BigInt(parsed.pence), expected.pence, text)
        }
      }),
      { numRuns: runs * 100 }
    )
    assert.isAtLeast(paths.fast, runs * 10)
    assert.isAtLeast(paths.general, runs * 10)
  })

  test.prop([fc.array(legacyWritten.filter(({ fraction }) => fraction.length <= 2), { maxLength: 200 })], { numRuns: runs })(
    "the sum of parsed amounts is the sum of their digits': no rounding drift over any list",
    (items) => {
      let total = 0n
      let expected = 0n
      for (const { whole, fraction, negative, text } of items) {
        const truth = oracle(whole, fraction, negative)
        const parsed = Money.parseLegacyAmount(text)
        if (!("pence" in truth)) continue
        assert.strictEqual(parsed._tag, "Amount", text)
        if (parsed._tag === "Amount") total += BigInt(parsed.pence)
        expected += truth.pence
      }
      assert.strictEqual(total, expected)
    }
  )

  test.prop([fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: fc.constantFrom(..."0123456789,.£()- ") }))])(
    "never throws, and a reason is one of the fixed reasons and never repeats the amount",
    (text) => {
      const parsed = Money.parseLegacyAmount(text)
      if (parsed._tag === "Amount") assert.isTrue(Number.isSafeInteger(parsed.pence))
      if (parsed._tag === "Invalid") {
        assert.include(Object.values(reasons) as ReadonlyArray<string>, parsed.reason)
        if (/\d/.test(text)) assert.notInclude(parsed.reason, text.trim())
      }
    }
  )
})

describe("Money.parsePounds", () => {
  it(`reads each of ${poundsTable.length} texts as the table says`, () => {
    for (const [text, expected] of poundsTable) {
      const parsed = Money.parsePounds(text)
      if (typeof expected === "number") assert.isTrue(Object.is(parsed, expected), `${JSON.stringify(text)}: ${JSON.stringify(parsed)}`)
      else assert.match(Money.isError(parsed) ? parsed.reason : String(parsed), expected, JSON.stringify(text))
    }
  })

  it("adds up where binary floating point does not", () => {
    const a = Money.parsePounds("0.10") as number
    const b = Money.parsePounds("0.20") as number
    assert.strictEqual(a + b, 30)
    assert.notStrictEqual(0.1 + 0.2, 0.3)
  })

  it("reads every amount as integer arithmetic on its digits does, by both paths", () => {
    const paths = { fast: 0, general: 0 }
    fc.assert(
      fc.property(poundsWritten, ({ whole, fraction, negative, text }) => {
        paths[fastPath(whole, fraction) ? "fast" : "general"]++
        const expected = oracle(whole, fraction, negative)
        const parsed = Money.parsePounds(text)
        if ("refused" in expected) {
          assert.match(Money.isError(parsed) ? parsed.reason : String(parsed), expected.refused === "tooLarge" ? /too large an amount/ : /more than two decimal places/, text)
        } else {
          assert.isFalse(Money.isError(parsed), text)
          if (Money.isError(parsed)) return
          assert.isTrue(Number.isSafeInteger(parsed) && !Object.is(parsed, -0), text)
          assert.strictEqual(BigInt(parsed), expected.pence, text)
        }
      }),
      { numRuns: runs * 100 }
    )
    assert.isAtLeast(paths.fast, runs * 10)
    assert.isAtLeast(paths.general, runs * 10)
  })
})

describe("Money.toPounds and Money.fromPounds", () => {
  it(`writes each of ${formatTable.length} amounts as the table says, and reads it back`, () => {
    for (const [pence, pounds] of formatTable) {
      assert.strictEqual(Money.toPounds(pence), pounds, String(pence))
      assert.strictEqual(Money.fromPounds(pounds), pence, pounds)
    }
    assert.strictEqual(Money.toPounds(-0), "0.00")
    assert.isTrue(Object.is(Money.fromPounds("-0.00"), 0))
  })

  it("refuses what is not a whole number of pence", () => {
    for (const pence of [0.5, -1.25, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1, -(2 ** 60)]) {
      assert.throws(() => Money.toPounds(pence), /not a whole number of pence/, String(pence))
    }
    assert.throws(() => Money.fromPounds("1.005"), /not a whole number of pence/)
  })

  test.prop([fc.oneof(
    fc.integer({ min: -100_000, max: 100_000 }),
    fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 }),
    fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER })
  )], { numRuns: runs * 30 })(
    "writes every safe amount as BigInt division does, and reads that text back by either path",
    (pence) => {
      const pounds = poundsOf(BigInt(pence))
      assert.strictEqual(Money.toPounds(pence), pounds)
      assert.strictEqual(Money.fromPounds(pounds), pence)
      assert.strictEqual(Money.parsePounds(pounds), pence)
    }
  )
})
