/**
 * NHS numbers: ten digits whose last is a Modulus 11 check digit.
 */

export type Parsed =
  | { readonly _tag: "Valid"; readonly nhsNumber: string }
  | { readonly _tag: "NotKnown" }
  | { readonly _tag: "Invalid"; readonly reason: string }

/** The check digit of the first nine digits, or `undefined` when none exists (remainder 10). */
export const checkDigit = (nine: string): number | undefined => {
  let sum = 0
  for (let i = 0; i < 9; i++) sum += Number(nine[i]) * (10 - i)
  const check = 11 - (sum % 11)
  return check === 11 ? 0 : check === 10 ? undefined : check
}

export const isValid = (digits: string): boolean =>
  /^\d{10}$/.test(digits) && checkDigit(digits.slice(0, 9)) === Number(digits[9])

/** Words that legacy systems store in place of an NHS number that is not known. */
const notKnown = new Set(["", "N/K", "NK", "UNKNOWN", "NOT KNOWN", "N/A"])

/** Cleans an NHS number as typed into a legacy system: spaces and hyphens go, then the check digit decides. */
export const parse = (text: string | null): Parsed => {
  if (text === null || notKnown.has(text.trim().toUpperCase())) return { _tag: "NotKnown" }
  const digits = text.replace(/[\s-]/g, "")
  if (!/^\d{10}$/.test(digits)) return { _tag: "Invalid", reason: "an NHS number has ten digits" }
  if (/^(\d)\1{9}$/.test(digits)) return { _tag: "Invalid", reason: "a placeholder NHS number (one digit repeated)" }
  if (digits.startsWith("999")) return { _tag: "Invalid", reason: "an NHS number of the 999 test range, never issued to a person" }
  if (!isValid(digits)) return { _tag: "Invalid", reason: "the NHS number fails its Modulus 11 check" }
  return { _tag: "Valid", nhsNumber: digits }
}
