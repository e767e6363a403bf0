/**
 * Money as integer pence, parsed and formatted with decimal arithmetic: no binary floating point on the money path.
 */
import * as DecimalJs from "decimal.js"

// decimal.js ships its class as the ES module's default export, while its types declare it as a named export
const Decimal = (DecimalJs as unknown as { readonly default: typeof DecimalJs.Decimal }).default

/** An amount of money in pence. Always a safe integer. */
export type Pence = number

export interface MoneyError {
  readonly _tag: "MoneyError"
  readonly reason: string
}

const moneyText = /^-?\d+(\.\d+)?$/

/**
 * Parses an amount in pounds as written in a legacy system: `1234.5`, `£1,234.50`, ` 12 `. More than two decimal
 * places is an error, not a rounding: the data owner decides.
 */
export const parsePounds = (text: string): Pence | MoneyError => {
  const cleaned = text.trim().replace(/^£/, "").replaceAll(",", "").trim()
  if (!moneyText.test(cleaned)) return { _tag: "MoneyError", reason: `not an amount of money: ${JSON.stringify(text)}` }
  const pounds = new Decimal(cleaned)
  if (pounds.decimalPlaces() > 2) {
    return { _tag: "MoneyError", reason: `${cleaned} has more than two decimal places` }
  }
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
  return new Decimal(pence).dividedBy(100).toFixed(2)
}

/** Parses the text form of a `numeric(p, 2)` column back to pence. */
export const fromPounds = (text: string): Pence => {
  const pence = new Decimal(text).times(100)
  if (!pence.isInteger()) throw new Error(`${text} is not a whole number of pence`)
  return pence.toNumber()
}
