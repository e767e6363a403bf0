/**
 * Dates of birth and event dates as the legacy estate holds them, read with how accurate they are: exact dates in
 * ISO or British form, two-digit years, spreadsheet serial numbers, a month and year, an approximate year. Dummy
 * dates (`01/01/1900`) are told apart from missing and from wrong ones, so each gets its own treatment.
 */

export type Accuracy = "exact" | "two-digit-year" | "month" | "year"

export type Source = "iso" | "british" | "excel-serial" | "two-digit-year" | "month-year" | "approximate"

export type Parsed =
  | { readonly _tag: "Date"; readonly date: string; readonly accuracy: Accuracy; readonly source: Source }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Sentinel"; readonly reason: string }
  | { readonly _tag: "Invalid"; readonly reason: string }

export interface Options {
  /** The cut-over date, `yyyy-mm-dd`: nothing can have happened after it. */
  readonly today: string
}

/** Every reason a date can be refused for. None repeats the date it was given. */
export const reasons = {
  sentinel: "a dummy date that legacy systems store when the real date is not known",
  yearOne: "year one, a dummy date that legacy systems store when the real date is not known",
  notADate: "not a date in any format the legacy systems use",
  notInCalendar: "not a real calendar date: the day or the month is out of range",
  usOrder: "the month is over twelve: the date looks written month first (US order)",
  tooEarly: "before the year eighteen hundred, too early to be a real date",
  future: "in the future: after the cut-over date",
  serialRange: "a spreadsheet serial date must be between one and eighty thousand",
  yearOrSerial: "a bare four-digit number reads as a year as well as a spreadsheet serial date",
  monthName: "not the name of a month"
} as const

/** Words that legacy systems store in place of a date that is not known. */
const missing = new Set(["UNKNOWN", "N/K", "NK", "NOT KNOWN", "N/A"])

/** Dates that legacy systems store in place of one they do not know. */
const sentinels = new Set(["1900-01-01", "1800-01-01"])

/** Month names in full and shortened to three letters (and `sept`), lower case, to their numbers. */
const months = new Map<string, number>([["sept", 9]])
const monthNames = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
  "november", "december"]
for (const [i, name] of monthNames.entries()) months.set(name, i + 1).set(name.slice(0, 3), i + 1)

const pad = (n: number, width: number) => String(n).padStart(width, "0")

const iso = (y: number, m: number, d: number) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`

/** The days of each month in a leap year (February's 29th is checked against the year apart). */
const daysInMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

const isCalendarDate = (y: number, m: number, d: number) =>
  m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth[m - 1]! &&
  (m !== 2 || d !== 29 || (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)))

const DAY = 86_400_000
const EXCEL_EPOCH = Date.UTC(1899, 11, 30)

/** The date of a spreadsheet (OLE automation) serial number: days since 30 December 1899. */
export const fromExcelSerial = (serial: number): string => new Date(EXCEL_EPOCH + serial * DAY).toISOString().slice(0, 10)

/** The spreadsheet serial number of an ISO date. */
export const toExcelSerial = (date: string): number => Math.round((Date.parse(`${date}T00:00:00Z`) - EXCEL_EPOCH) / DAY)

let lastToday: { readonly text: string; readonly year: number } | undefined

/** The year of the cut-over date, which every call of a rehearsal passes the same: checked once, then remembered. */
const parseToday = (today: string) => {
  if (lastToday?.text === today) return lastToday.year
  const year = checkToday(today)
  lastToday = { text: today, year }
  return year
}

const checkToday = (today: string) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(today)
  if (m === null || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
    throw new Error("the cut-over date must be a calendar date written yyyy-mm-dd")
  }
  return Number(m[1])
}

const invalid = (reason: string): Parsed => ({ _tag: "Invalid", reason })

/** A date the text names, checked against the calendar, the dummy dates and the cut-over date. */
const dated = (y: number, m: number, d: number, accuracy: Accuracy, source: Source, today: string): Parsed => {
  if (!isCalendarDate(y, m, d)) return invalid(reasons.notInCalendar)
  if (y === 1) return { _tag: "Sentinel", reason: reasons.yearOne }
  const date = iso(y, m, d)
  if (sentinels.has(date) && accuracy === "exact") return { _tag: "Sentinel", reason: reasons.sentinel }
  if (y < 1800) return invalid(reasons.tooEarly)
  if (date > today) return invalid(reasons.future)
  return { _tag: "Date", date, accuracy, source }
}

/** A day and month in British order, checked for the sign of a US-order date first. */
const british = (text: string, day: number, month: number, y: number, accuracy: Accuracy, source: Source, today: string) =>
  dayMonthSwapSuspect(text) === "impossible-as-british"
    ? invalid(reasons.usOrder)
    : dated(y, month, day, accuracy, source, today)

/**
 * Reads a legacy date. Blank, `unknown` and `N/K` are `Missing`; `01/01/1900`, `01/01/1800` and year one are
 * `Sentinel`; an impossible date, or one after `options.today`, is `Invalid`. A two-digit year is the latest year
 * ending in those digits that is not after `today`. A spreadsheet serial number counts days from 30 December 1899.
 * `March 2019` is the first of the month and `approx 2015` the first of July (or `today`, if that is earlier).
 * Never throws on the text; throws when `options.today` is not a date.
 */
export const parse = (text: string | null, options: Options): Parsed => {
  const { today } = options
  const thisYear = parseToday(today)
  if (text === null) return missingDate
  // an estate holds the same few thousand dates over and over: each text is read once for a cut-over date, and what
  // it gives (never changed by anyone) is shared
  let texts = readings.get(today)
  const known = texts?.get(text)
  if (known !== undefined) return known
  const parsed = read(text, today, thisYear)
  if (texts === undefined) {
    if (readings.size >= 4) readings.clear()
    texts = new Map()
    readings.set(today, texts)
  }
  if (texts.size >= readingsKept) texts.clear()
  texts.set(text, Object.freeze(parsed))
  return parsed
}

const missingDate: Parsed = Object.freeze({ _tag: "Missing" })

/** Texts read so far, by cut-over date: at most a few cut-over dates, each with at most `readingsKept` texts. */
const readings = new Map<string, Map<string, Parsed>>()
const readingsKept = 65_536

const read = (text: string, today: string, thisYear: number): Parsed => {
  const t = text.trim().replace(/\s+/g, " ")
  if (t === "" || missing.has(t.toUpperCase())) return missingDate

  let m: RegExpExecArray | null
  if ((m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t))) return dated(Number(m[1]), Number(m[2]), Number(m[3]), "exact", "iso", today)
  if ((m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t))) {
    return british(t, Number(m[1]), Number(m[2]), Number(m[3]), "exact", "british", today)
  }
  if ((m = /^(\d{1,2})\/(\d{1,2})\/(\d{2})$/.exec(t))) {
    const [day, month, yy] = [Number(m[1]), Number(m[2]), Number(m[3])]
    const century = thisYear - (thisYear % 100)
    const sameCentury = iso(century + yy, month, day)
    const year = sameCentury > today ? century + yy - 100 : century + yy
    return british(t, day, month, year, "two-digit-year", "two-digit-year", today)
  }
  if ((m = /^\d{1,6}$/.exec(t))) {
    const serial = Number(t)
    if (t.length === 4 && serial >= 1800 && serial <= 2099) return invalid(reasons.yearOrSerial)
    if (serial < 1 || serial > 80_000) return invalid(reasons.serialRange)
    const [y, mo, d] = fromExcelSerial(serial).split("-").map(Number) as [number, number, number]
    return dated(y, mo, d, "exact", "excel-serial", today)
  }
  if ((m = /^(?:approx\.?|approximately|circa|ca\.?|c\.?) ?(\d{4})$/i.exec(t))) {
    const y = Number(m[1])
    const midYear = iso(y, 7, 1)
    if (y === thisYear && midYear > today) return { _tag: "Date", date: today, accuracy: "year", source: "approximate" }
    return dated(y, 7, 1, "year", "approximate", today)
  }
  if ((m = /^([A-Za-z]+)\.? (\d{4})$/.exec(t))) {
    const month = months.get(String(m[1]).toLowerCase())
    return month === undefined ? invalid(reasons.monthName) : dated(Number(m[2]), month, 1, "month", "month-year", today)
  }
  return invalid(reasons.notADate)
}

/**
 * How a `dd/mm/yyyy` (or `dd/mm/yy`) text stands to a day/month swap. `impossible-as-british`: the first number
 * could be a month and the second a day, but the second is over twelve, so the date only reads in US order.
 * `ambiguous`: both numbers could be the month, and they differ. `unambiguous`: anything else.
 */
export const dayMonthSwapSuspect = (text: string): "impossible-as-british" | "ambiguous" | "unambiguous" => {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{2}|\d{4})$/.exec(text.trim())
  if (m === null) return "unambiguous"
  const [first, second] = [Number(m[1]), Number(m[2])]
  if (first >= 1 && first <= 12 && second > 12 && second <= 31) return "impossible-as-british"
  if (first >= 1 && first <= 12 && second >= 1 && second <= 12 && first !== second) return "ambiguous"
  return "unambiguous"
}
