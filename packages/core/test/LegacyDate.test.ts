import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as LegacyDate from "../src/LegacyDate.ts"

const options = { today: "2025-04-01" }
const parse = (text: string | null) => LegacyDate.parse(text, options)

const day = (date: Date) => date.toISOString().slice(0, 10)
const calendarDay = (min: string, max: string) =>
  fc.date({ min: new Date(`${min}T00:00:00Z`), max: new Date(`${max}T00:00:00Z`), noInvalidDate: true }).map(day)

/** A cut-over date and a date on or before it, from 1850 on. */
const dateAndToday = fc.tuple(calendarDay("1850-01-01", "2100-12-31"), calendarDay("1950-01-01", "2100-12-31"))
  .map(([a, b]) => (a <= b ? { date: a, today: b } : { date: b, today: a }))

/** The reading of a date as it should come back. */
const reading = (date: string, accuracy: LegacyDate.Accuracy, source: LegacyDate.Source) =>
  ({ _tag: "Date", date, accuracy, source }) as const

const invalid = (reason: string) => ({ _tag: "Invalid", reason }) as const

const reasonList: ReadonlyArray<string> = Object.values(LegacyDate.reasons)

/** Text that sometimes looks like a date: digits, separators, month names and the approximate markers. */
const dateish = fc.oneof(
  fc.string({ unit: fc.constantFrom(..."0123456789//-- .", "Mar", "March", "approx", "c.", "N/K"), maxLength: 8 }),
  fc.tuple(fc.nat(40), fc.nat(40), fc.nat(3000)).map(([d, m, y]) => `${d}/${m}/${y}`)
)

describe("LegacyDate", () => {
  it("reads every format the legacy estate holds, with its accuracy", () => {
    assert.deepStrictEqual(parse("1941-03-12"), reading("1941-03-12", "exact", "iso"))
    assert.deepStrictEqual(parse("12/03/1941"), reading("1941-03-12", "exact", "british"))
    assert.deepStrictEqual(parse(" 12/3/1941 "), reading("1941-03-12", "exact", "british"))
    assert.deepStrictEqual(parse("12/03/41"), reading("1941-03-12", "two-digit-year", "two-digit-year"))
    assert.deepStrictEqual(parse("36960"), reading("2001-03-10", "exact", "excel-serial"))
    assert.deepStrictEqual(parse("March 2019"), reading("2019-03-01", "month", "month-year"))
    assert.deepStrictEqual(parse("mar 2019"), reading("2019-03-01", "month", "month-year"))
    assert.deepStrictEqual(parse("Sept. 2019"), reading("2019-09-01", "month", "month-year"))
    assert.deepStrictEqual(parse("approx 2015"), reading("2015-07-01", "year", "approximate"))
    assert.deepStrictEqual(parse("c. 2015"), reading("2015-07-01", "year", "approximate"))
    assert.deepStrictEqual(parse("circa  2015"), reading("2015-07-01", "year", "approximate"))
    for (const text of ["approximately 2015", "approx. 2015", "ca. 2015", "ca 2015", "c2015", "Approx 2015", "CIRCA 2015", "C. 2015"]) {
      assert.deepStrictEqual(parse(text), reading("2015-07-01", "year", "approximate"), text)
    }
    assert.deepStrictEqual(parse("29/02/2000"), reading("2000-02-29", "exact", "british"))
  })

  it("reads a two-digit year as the latest year ending in those digits that is not after the cut-over", () => {
    assert.deepStrictEqual(parse("12/03/25"), reading("2025-03-12", "two-digit-year", "two-digit-year"))
    assert.deepStrictEqual(parse("01/04/25"), reading("2025-04-01", "two-digit-year", "two-digit-year"))
    assert.deepStrictEqual(parse("02/04/25"), reading("1925-04-02", "two-digit-year", "two-digit-year"))
    assert.deepStrictEqual(parse("1/1/00"), reading("2000-01-01", "two-digit-year", "two-digit-year"))
    assert.deepStrictEqual(parse("31/12/99"), reading("1999-12-31", "two-digit-year", "two-digit-year"))
  })

  it("keeps an approximate year of the cut-over year from landing after it", () => {
    assert.deepStrictEqual(parse("approx 2025"), reading("2025-04-01", "year", "approximate"))
    assert.deepStrictEqual(LegacyDate.parse("approx 2025", { today: "2025-09-30" }), reading("2025-07-01", "year", "approximate"))
  })

  it("treats NULL, blank and the not-known words as missing", () => {
    for (const text of [null, "", "  ", "unknown", "UNKNOWN", "N/K", "n/k", "NK", "nk", "not known", "N/A", "n/a"]) {
      assert.deepStrictEqual(parse(text), { _tag: "Missing" }, String(text))
    }
  })

  it("tells the dummy dates apart from real ones", () => {
    for (const text of ["01/01/1900", "1/1/1900", "1900-01-01", "01/01/1800", "1800-01-01", "0001-01-01", "01/01/0001", "2"]) {
      assert.strictEqual(parse(text)._tag, "Sentinel", text)
    }
    assert.deepStrictEqual(parse("02/01/1900"), reading("1900-01-02", "exact", "british"))
    // only an exact date can be a dummy: a month that begins on one is a month
    assert.deepStrictEqual(parse("January 1900"), reading("1900-01-01", "month", "month-year"))
    assert.deepStrictEqual(parse("Jan 1800"), reading("1800-01-01", "month", "month-year"))
  })

  it("refuses impossible, future and ambiguous dates with a reason", () => {
    const cases = [
      ["31/02/1950", LegacyDate.reasons.notInCalendar],
      ["29/02/1900", LegacyDate.reasons.notInCalendar],
      ["2019-13-01", LegacyDate.reasons.notInCalendar],
      ["2019-00-10", LegacyDate.reasons.notInCalendar],
      ["00/01/2019", LegacyDate.reasons.notInCalendar],
      ["03/25/2019", LegacyDate.reasons.usOrder],
      ["3/25/19", LegacyDate.reasons.usOrder],
      ["02/04/2025", LegacyDate.reasons.future],
      ["2030-01-01", LegacyDate.reasons.future],
      ["May 2025", LegacyDate.reasons.future],
      ["approx 2026", LegacyDate.reasons.future],
      ["80000", LegacyDate.reasons.future],
      ["1799-12-31", LegacyDate.reasons.tooEarly],
      ["1941", LegacyDate.reasons.yearOrSerial],
      ["1800", LegacyDate.reasons.yearOrSerial],
      ["2099", LegacyDate.reasons.yearOrSerial],
      ["0", LegacyDate.reasons.serialRange],
      ["80001", LegacyDate.reasons.serialRange],
      ["Smarch 2019", LegacyDate.reasons.monthName],
      ["12.03.41", LegacyDate.reasons.notADate],
      ["12/03/1941 10:00", LegacyDate.reasons.notADate],
      ["soon", LegacyDate.reasons.notADate]
    ] as const
    for (const [text, reason] of cases) assert.deepStrictEqual(parse(text), invalid(reason), text)
    assert.deepStrictEqual(LegacyDate.parse("80000", { today: "2200-01-01" }), reading("2119-01-11", "exact", "excel-serial"))
    // just outside the years a bare number could name, four digits are a serial date
    assert.deepStrictEqual(parse("1799"), reading(LegacyDate.fromExcelSerial(1799), "exact", "excel-serial"))
    assert.deepStrictEqual(parse("2100"), reading(LegacyDate.fromExcelSerial(2100), "exact", "excel-serial"))
  })

  it("refuses a cut-over date that is not a date", () => {
    assert.throws(() => LegacyDate.parse("12/03/1941", { today: "01/04/2025" }))
    assert.throws(() => LegacyDate.parse("12/03/1941", { today: "2025-02-30" }))
  })

  it("says which day/month texts could be swapped", () => {
    for (const [text, suspicion] of [
      ["03/25/2019", "impossible-as-british"],
      ["3/13/19", "impossible-as-british"],
      ["03/04/2019", "ambiguous"],
      ["4/3/19", "ambiguous"],
      ["04/04/2019", "unambiguous"],
      ["25/03/2019", "unambiguous"],
      ["13/25/2019", "unambiguous"],
      ["03/45/2019", "unambiguous"],
      ["2019-03-04", "unambiguous"],
      ["soon", "unambiguous"]
    ] as const) {
      assert.strictEqual(LegacyDate.dayMonthSwapSuspect(text), suspicion, text)
    }
  })

  test.prop([dateAndToday])(
    "every date from 1850 to the cut-over, written as the estate writes it, reads back to itself",
    ({ date, today }) => {
      fc.pre(date !== "1900-01-01")
      const [y, m, d] = date.split("-")
      const read = (text: string) => LegacyDate.parse(text, { today })
      assert.deepStrictEqual(read(date), reading(date, "exact", "iso"))
      assert.deepStrictEqual(read(`${d}/${m}/${y}`), reading(date, "exact", "british"))
      assert.deepStrictEqual(read(`${Number(d)}/${Number(m)}/${y}`), reading(date, "exact", "british"))
      const serial = LegacyDate.toExcelSerial(date)
      if (serial >= 1 && !(serial >= 1800 && serial <= 2099)) {
        assert.deepStrictEqual(read(String(serial)), reading(date, "exact", "excel-serial"))
      }
      const monthName = new Date(`${date}T00:00:00Z`).toLocaleString("en-GB", { month: "long", timeZone: "UTC" })
      assert.deepStrictEqual(read(`${monthName} ${y}`), reading(`${y}-${m}-01`, "month", "month-year"))
    }
  )

  test.prop([fc.integer({ min: 1, max: 80_000 })])("a serial number and its date convert both ways", (serial) => {
    assert.strictEqual(LegacyDate.toExcelSerial(LegacyDate.fromExcelSerial(serial)), serial)
  })

  test.prop([
    fc.integer({ min: 1, max: 31 }),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 0, max: 99 }),
    calendarDay("1950-01-01", "2100-12-31")
  ])(
    "a two-digit year reads as a date within the hundred years up to the cut-over",
    (d, m, yy, today) => {
      const parsed = LegacyDate.parse(`${d}/${m}/${String(yy).padStart(2, "0")}`, { today })
      if (parsed._tag === "Invalid") {
        assert.strictEqual(parsed.reason, LegacyDate.reasons.notInCalendar)
        assert.isAbove(d, 28)
        return
      }
      assert.strictEqual(parsed._tag, "Date")
      if (parsed._tag !== "Date") return
      const centuryBefore = `${String(Number(today.slice(0, 4)) - 100).padStart(4, "0")}${today.slice(4)}`
      assert.isTrue(parsed.date <= today && parsed.date > centuryBefore, `${parsed.date} against ${today}`)
      assert.strictEqual(parsed.date.slice(2), `${String(yy).padStart(2, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`)
      assert.strictEqual(parsed.accuracy, "two-digit-year")
    }
  )

  test.prop([fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.string({ unit: "grapheme" }), dateish)])(
    "never throws, and a reason is one of the fixed reasons and never repeats the text",
    (text) => {
      const parsed = parse(text)
      if (parsed._tag === "Date") assert.isTrue(parsed.date <= options.today && parsed.date >= "1800-01-01")
      if (parsed._tag === "Invalid" || parsed._tag === "Sentinel") {
        assert.include(reasonList, parsed.reason)
        if (/\d/.test(text)) assert.notInclude(parsed.reason, text.trim())
      }
    }
  )

  test.prop([fc.array(fc.tuple(dateish, fc.constantFrom("2025-04-01", "2019-02-28", "2999-12-31", "2001-01-01", "2031-07-15")), { minLength: 1, maxLength: 60 })])(
    "a text reads the same whatever was read before it, under any cut-over date, and its reading cannot be changed",
    (calls) => {
      const first = calls.map(([text, today]) => structuredClone(LegacyDate.parse(text, { today })))
      const again = [...calls].reverse().map(([text, today]) => LegacyDate.parse(text, { today })).reverse()
      assert.deepStrictEqual(again, first)
      for (const parsed of again) assert.isTrue(Object.isFrozen(parsed))
    }
  )
})
