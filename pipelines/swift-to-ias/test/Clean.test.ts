/**
 * The cleaning every SWIFT step shares: dates checked against the run's cut-over date, with the flag each kind of
 * reading earns; amounts in pence; yes flags; and the results of a row put together, the first bad one quarantining it.
 */
import { assert, describe, it } from "@effect/vitest"
import { LegacyDate, Money, Pipeline } from "@handover/core"
import fc from "fast-check"
import * as Clean from "../src/Clean.ts"

const rule: Pipeline.MappingRule = { id: "test.clean", description: "the cleaning under test" }

const contextWith = (parameters: Readonly<Record<string, string>>): Pipeline.TransformContext => ({
  targetKeyOf: () => undefined,
  targetRowOf: () => undefined,
  targetRowByKey: () => undefined,
  wasExcluded: () => false,
  matchedTargetKey: () => undefined,
  parameters
})

/** A run whose cut-over date is 1 April 2025. */
const context = contextWith({ cutoverDate: "2025-04-01" })

const dated = (text: string | null, options: Clean.DateOptions = {}) => Clean.dateWithAccuracy(text, "dob", rule, context, options)

describe("Clean dates", () => {
  it("reads an exact date with no flag", () => {
    for (const text of ["12/03/1941", "1941-03-12", " 12/3/1941 "]) {
      assert.deepStrictEqual(dated(text), { _tag: "Ok", value: { date: "1941-03-12", accuracy: "exact" }, flags: [] }, text)
    }
  })

  it("leaves an empty date empty, with no flag", () => {
    for (const text of [null, "", "  ", "unknown"]) assert.deepStrictEqual(dated(text), { _tag: "Ok", value: null, flags: [] }, String(text))
  })

  it("leaves a dummy date empty, with a warning for the data owner", () => {
    for (const text of ["01/01/1900", "1800-01-01", "0001-01-01"]) {
      const reason = text === "0001-01-01" ? LegacyDate.reasons.yearOne : LegacyDate.reasons.sentinel
      assert.deepStrictEqual(dated(text), {
        _tag: "Ok",
        value: { date: null, accuracy: "unknown" },
        flags: [Pipeline.flag(rule, "dob", "warning", `dob: ${reason}; left empty`)]
      }, text)
    }
  })

  it("quarantines an unreadable date, the reason naming the field", () => {
    for (const [text, reason] of [
      ["31/02/1950", LegacyDate.reasons.notInCalendar],
      ["03/25/2019", LegacyDate.reasons.usOrder],
      ["soon", LegacyDate.reasons.notADate]
    ] as const) {
      const bad = { _tag: "Bad", reason: `dob: ${reason}` } as const
      assert.deepStrictEqual(dated(text), bad, text)
      assert.deepStrictEqual(Clean.date(text, "dob", rule, context), bad, text)
      assert.deepStrictEqual(Clean.requiredDate(text, "dob", rule, context), bad, text)
    }
  })

  it("flags a date read from a spreadsheet serial number, for information", () => {
    assert.deepStrictEqual(dated("36960"), {
      _tag: "Ok",
      value: { date: "2001-03-10", accuracy: "exact" },
      flags: [Pipeline.flag(rule, "dob", "info", "dob: read from a spreadsheet serial number as 2001-03-10")]
    })
  })

  it("keeps a partial date's accuracy: a two-digit year with a warning, a month or an approximate year for information", () => {
    for (const [text, date, accuracy, severity] of [
      ["12/03/41", "1941-03-12", "two-digit-year", "warning"],
      ["March 2019", "2019-03-01", "month", "info"],
      ["approx 2015", "2015-07-01", "year", "info"]
    ] as const) {
      assert.deepStrictEqual(dated(text), {
        _tag: "Ok",
        value: { date, accuracy },
        flags: [Pipeline.flag(rule, "dob", severity, `dob: read as ${date} (${accuracy.replaceAll("-", " ")})`)]
      }, text)
    }
  })

  it("checks every date against the run's cut-over date, 31 March 2026 when the run names none", () => {
    assert.strictEqual(dated("01/04/2025")._tag, "Ok")
    assert.deepStrictEqual(dated("02/04/2025"), { _tag: "Bad", reason: `dob: ${LegacyDate.reasons.future}` })
    assert.strictEqual(Clean.date("02/04/2025", "dob", rule, contextWith({ cutoverDate: "2030-01-01" }))._tag, "Ok")
    const unnamed = contextWith({})
    assert.strictEqual(Clean.today(unnamed), "2026-03-31")
    assert.strictEqual(Clean.date("31/03/2026", "dob", rule, unnamed)._tag, "Ok")
    assert.deepStrictEqual(Clean.date("01/04/2026", "dob", rule, unnamed), { _tag: "Bad", reason: `dob: ${LegacyDate.reasons.future}` })
  })

  it("lets only a planned date lie after the cut-over", () => {
    assert.deepStrictEqual(Clean.date("01/01/2030", "end", rule, context, { future: true }), { _tag: "Ok", value: "2030-01-01", flags: [] })
    assert.deepStrictEqual(Clean.date("01/01/2030", "end", rule, context), { _tag: "Bad", reason: `end: ${LegacyDate.reasons.future}` })
    assert.deepStrictEqual(Clean.date("01/01/2030", "end", rule, context, { future: false }), { _tag: "Bad", reason: `end: ${LegacyDate.reasons.future}` })
  })

  it("gives the date alone with its flags", () => {
    assert.deepStrictEqual(Clean.date("12/03/41", "dob", rule, context), {
      _tag: "Ok",
      value: "1941-03-12",
      flags: [Pipeline.flag(rule, "dob", "warning", "dob: read as 1941-03-12 (two digit year)")]
    })
    assert.deepStrictEqual(Clean.date("01/01/1900", "dob", rule, context), {
      _tag: "Ok",
      value: null,
      flags: [Pipeline.flag(rule, "dob", "warning", `dob: ${LegacyDate.reasons.sentinel}; left empty`)]
    })
    assert.deepStrictEqual(Clean.date(null, "dob", rule, context), { _tag: "Ok", value: null, flags: [] })
  })

  it("quarantines a required date that is empty or a dummy, and keeps the flags of one that is read", () => {
    for (const text of [null, "", "N/K", "01/01/1900"]) {
      assert.deepStrictEqual(Clean.requiredDate(text, "dob", rule, context), { _tag: "Bad", reason: "dob: no date" }, String(text))
    }
    assert.deepStrictEqual(Clean.requiredDate("12/03/41", "dob", rule, context), {
      _tag: "Ok",
      value: "1941-03-12",
      flags: [Pipeline.flag(rule, "dob", "warning", "dob: read as 1941-03-12 (two digit year)")]
    })
    assert.deepStrictEqual(Clean.requiredDate("1941-03-12", "dob", rule, context), { _tag: "Ok", value: "1941-03-12", flags: [] })
  })
})

describe("Clean amounts and flags", () => {
  it("reads an amount in pence, empty staying empty", () => {
    for (const [text, pence] of [["£1,234.50", 123450], ["(12.00)", -1200], ["-0.50", -50], ["0", 0], [null, null], ["", null], ["  ", null]] as const) {
      assert.deepStrictEqual(Clean.amount(text, "charge"), { _tag: "Ok", value: pence, flags: [] }, String(text))
    }
  })

  it("quarantines an unreadable amount, the reason naming the field", () => {
    assert.deepStrictEqual(Clean.amount("12,50", "charge"), { _tag: "Bad", reason: `charge: ${Money.amountReasons.decimalComma}` })
    assert.deepStrictEqual(Clean.amount("TBC", "charge"), { _tag: "Bad", reason: `charge: ${Money.amountReasons.notAnAmount}` })
  })

  it("writes pence as pounds with two places, zero as 0.00 and only nothing as NULL", () => {
    assert.strictEqual(Clean.pounds(null), null)
    assert.strictEqual(Clean.pounds(0), "0.00")
    assert.strictEqual(Clean.pounds(5), "0.05")
    assert.strictEqual(Clean.pounds(-1200), "-12.00")
    assert.strictEqual(Clean.pounds(123450), "1234.50")
  })

  it("reads Y, YES, T, TRUE and 1 as yes, in any case and with spaces around; anything else as no", () => {
    for (const text of ["Y", "YES", "T", "TRUE", "1", "y", "Yes", " true ", "\tT"]) assert.isTrue(Clean.yes(text), JSON.stringify(text))
    for (const text of [null, "", "N", "NO", "F", "FALSE", "0", "YE", "TRUE!"]) assert.isFalse(Clean.yes(text), JSON.stringify(text))
  })
})

describe("Clean.all", () => {
  it("carries on with every value and every flag of a row", () => {
    const result = Clean.all(
      Clean.date("12/03/41", "dob", rule, context),
      Clean.amount("£5", "charge"),
      Clean.date("March 2019", "start", rule, context)
    )
    assert.deepStrictEqual(result, {
      _tag: "Ok",
      values: ["1941-03-12", 500, "2019-03-01"],
      flags: [
        Pipeline.flag(rule, "dob", "warning", "dob: read as 1941-03-12 (two digit year)"),
        Pipeline.flag(rule, "start", "info", "start: read as 2019-03-01 (month)")
      ]
    })
  })

  it("quarantines a row with the first bad value's reason, saying which value it was", () => {
    const result = Clean.all(Clean.amount("1", "a"), Clean.amount("TBC", "b"), Clean.amount("12,50", "c"))
    assert.deepStrictEqual(result, { _tag: "Bad", reason: `b: ${Money.amountReasons.notAnAmount}`, index: 1 })
  })
})

describe("Clean ages", () => {
  /** Whole years between two ISO dates as birthdays count them: the year's difference, less one before the birthday. */
  const age = (dob: string, today: string) => {
    const [by, bm, bd] = dob.split("-").map(Number) as [number, number, number]
    const [ty, tm, td] = today.split("-").map(Number) as [number, number, number]
    return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0)
  }
  const isoDate = fc.date({ min: new Date("1800-01-01T00:00:00Z"), max: new Date("2100-12-31T00:00:00Z"), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10))

  it("a person is so many years old or more exactly when their birthdays say so, 29 February included", () => {
    fc.assert(
      fc.property(isoDate, isoDate, fc.integer({ min: 0, max: 200 }), (dob, today, years) => {
        assert.strictEqual(Clean.isAtLeast(years, dob, today), age(dob, today) >= years, `${dob} on ${today}, ${years}`)
      }),
      { numRuns: 2_000 }
    )
    assert.isFalse(Clean.isAtLeast(116, "1908-03-01", "2024-02-29"))
    assert.isTrue(Clean.isAtLeast(116, "1908-02-29", "2024-02-29"))
    assert.isTrue(Clean.isAtLeast(115, "1909-02-28", "2024-02-29"))
  })
})
