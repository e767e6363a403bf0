/**
 * Money as integer pence, parsed and formatted with decimal arithmetic: no binary floating point on the money path.
 */
import { Decimal } from "./Decimal.ts"

/** An amount of money in pence. Always a safe integer. */
export type Pence = number

export interface MoneyError {
  readonly _tag: "MoneyError"
  readonly reason: string
}

const moneyText = /^-?\d+(\.\d+)?$/

/** The decimal places of an amount as written, trailing zeros counted: `1.500` has three. */
const placesWritten = (digits: string): number => {
  const point = digits.indexOf(".")
  return point < 0 ? 0 : digits.length - point - 1
}

/** Up to 13 whole digits and 2 places: pence well within the safe integers, worked out digit by digit. */
const plainPounds = /^(-)?(\d{1,13})(?:\.(\d{1,2}))?$/

/**
 * The pence of a plain amount such as `1234.5`, exactly, by integer arithmetic on its digits (the common case, and
 * no float is ever involved); `undefined` for anything else, which decimal arithmetic then handles.
 */
const plainPence = (text: string): Pence | undefined => (plainPounds.test(text) ? penceOfPlain(text) : undefined)

/** The pence of text `plainPounds` accepts, read digit by digit (no match to allocate: most amounts are plain). */
const penceOfPlain = (text: string): Pence => {
  const negative = text.charCodeAt(0) === 45
  let i = negative ? 1 : 0
  let pounds = 0
  for (; i < text.length && text.charCodeAt(i) !== 46; i++) pounds = pounds * 10 + (text.charCodeAt(i) - 48)
  // one place is tens of pence, two are pence
  const places = i >= text.length ? 0 : (text.charCodeAt(i + 1) - 48) * 10 + (i + 2 < text.length ? text.charCodeAt(i + 2) - 48 : 0)
  const pence = pounds * 100 + places
  // `0 - pence`, not `-pence`: `-0.00` is zero pence, not JavaScript's minus zero
  return negative ? 0 - pence : pence
}

/**
 * Parses an amount in pounds as written in a legacy system: `1234.5`, `£1,234.50`, ` 12 `. More than two decimal
 * places is an error, not a rounding, trailing zeros included (`1.500` may be one thousand five hundred written with a
 * full stop for a separator): the data owner decides.
 */
export const parsePounds = (text: string): Pence | MoneyError => {
  const cleaned = text.trim().replace(/^£/, "").replaceAll(",", "").trim()
  if (!moneyText.test(cleaned)) return { _tag: "MoneyError", reason: `not an amount of money: ${JSON.stringify(text)}` }
  const plain = plainPence(cleaned)
  if (plain !== undefined) return plain
  if (placesWritten(cleaned) > 2) {
    return { _tag: "MoneyError", reason: `${cleaned} has more than two decimal places` }
  }
  const pounds = new Decimal(cleaned)
  const pence = pounds.times(100)
  if (pence.abs().greaterThan(Number.MAX_SAFE_INTEGER)) {
    return { _tag: "MoneyError", reason: `${cleaned} is too large an amount` }
  }
  return pence.toNumber()
}

export const isError = (value: Pence | MoneyError): value is MoneyError => typeof value !== "number"

/** Pence as a decimal amount of pounds with two places, the text form of `numeric(p, 2)`: `1234.50`. */
export const toPounds = (pence: Pence): string => {
  if (!Number.isSafeInteger(pence)) throw new Error(`not a whole number of pence: ${pence}`)
  const whole = Math.abs(pence)
  return `${pence < 0 ? "-" : ""}${Math.floor(whole / 100)}.${String(whole % 100).padStart(2, "0")}`
}

/** Parses the text form of a `numeric(p, 2)` column back to pence. */
export const fromPounds = (text: string): Pence => {
  const plain = plainPence(text)
  if (plain !== undefined) return plain
  const pence = new Decimal(text).times(100)
  if (!pence.isInteger()) throw new Error(`${text} is not a whole number of pence`)
  return pence.toNumber()
}

/** An amount read from a legacy extract. */
export type LegacyAmount =
  | { readonly _tag: "Amount"; readonly pence: Pence }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Invalid"; readonly reason: string }

/** Every reason a legacy amount can be refused for. None repeats the amount it was given. */
export const amountReasons = {
  notAnAmount: "not an amount of money",
  decimalComma: "a comma used as the decimal separator (European style) makes the amount ambiguous",
  grouping: "thousands separators must mark groups of three digits",
  decimalPlaces: "more than two decimal places (or a full stop used as a thousands separator)",
  tooLarge: "too large an amount"
} as const

const legacyAmount = /^(-)?(£)?\s*(-)?\s*([\d,.]+)$/
const grouped = /^(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?$/

/**
 * Parses an amount as legacy extracts write it: `1234.5`, `£1,234.50`, `-12`, `-£12.00`, `(12.00)` for minus
 * twelve pounds. A comma as the decimal separator (`1.234,50`, `12,50`), thousands separators out of groups of three
 * and more than two decimal places (`1.500` too) are refused with a reason, never guessed at. Blank is `Missing`.
 */
export const parseLegacyAmount = (text: string | null): LegacyAmount => {
  if (text === null) return { _tag: "Missing" }
  // a plain amount (`-1234.5`), the common case, reads the same as below without the work
  if (plainPounds.test(text)) return { _tag: "Amount", pence: penceOfPlain(text) }
  if (text.trim() === "") return { _tag: "Missing" }
  const invalid = (reason: string): LegacyAmount => ({ _tag: "Invalid", reason })
  let body = text.trim()
  const bracketed = /^\((.*)\)$/.exec(body)
  if (bracketed) body = String(bracketed[1]).trim()
  const m = legacyAmount.exec(body)
  if (m === null || (m[1] !== undefined && m[3] !== undefined)) return invalid(amountReasons.notAnAmount)
  const minus = m[1] !== undefined || m[3] !== undefined
  if (bracketed && minus) return invalid(amountReasons.notAnAmount)
  const digits = String(m[4])
  const lastComma = digits.lastIndexOf(",")
  if (lastComma > digits.lastIndexOf(".") && (digits.includes(".") || /^\d+,\d{1,2}$/.test(digits))) {
    return invalid(amountReasons.decimalComma)
  }
  if (!grouped.test(digits)) {
    return invalid(/^[\d,]*\d(?:\.\d+)?$/.test(digits) && /^\d/.test(digits) ? amountReasons.grouping : amountReasons.notAnAmount)
  }
  const ungrouped = digits.replaceAll(",", "")
  const plain = plainPence(ungrouped)
  if (plain !== undefined) return { _tag: "Amount", pence: minus || bracketed ? 0 - plain : plain }
  // places as written: `1.500` is as likely one thousand five hundred as one pound fifty
  if (placesWritten(ungrouped) > 2) return invalid(amountReasons.decimalPlaces)
  const pounds = new Decimal(ungrouped)
  const pence = pounds.times(100)
  if (pence.greaterThan(Number.MAX_SAFE_INTEGER)) return invalid(amountReasons.tooLarge)
  const value = pence.toNumber()
  // `0 - value`, not `-value`: `-0.00` is zero pence, not JavaScript's minus zero
  return { _tag: "Amount", pence: minus || bracketed ? 0 - value : value }
}
