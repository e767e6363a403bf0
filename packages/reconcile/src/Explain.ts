/**
 * Why two values differ, when a known cause fits: whitespace, letter case, precision, encoding, NULL versus empty,
 * a shifted date, or a day and month swapped. A data owner reads these before the raw values.
 */

const isDate = (text: string) => /^\d{4}-\d{2}-\d{2}$/.test(text)
const isNumber = (text: string) => /^-?\d+(\.\d+)?$/.test(text.trim())

const days = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000

/** The explanation of a difference between the value the mapping gives and the value the target holds. */
export const explain = (expected: string | null, actual: string | null): string | null => {
  if (expected === actual) return null
  if (expected === null || actual === null) {
    return (expected ?? actual) === "" ? "NULL versus empty text" : null
  }
  if (expected.trim() === actual.trim()) return "whitespace"
  if (expected.replace(/\s+/g, " ").trim() === actual.replace(/\s+/g, " ").trim()) return "whitespace"
  if (expected.normalize("NFC") === actual.normalize("NFC")) return "encoding (Unicode normalisation)"
  if (expected.toLowerCase() === actual.toLowerCase()) return "letter case"
  if (isNumber(expected) && isNumber(actual)) {
    const [a, b] = [expected.trim(), actual.trim()]
    const places = (t: string) => (t.includes(".") ? t.split(".")[1]!.length : 0)
    const shorter = Math.min(places(a), places(b))
    const round = (t: string) => {
      const [whole, fraction = ""] = t.split(".")
      return shorter === 0 ? whole! : `${whole}.${fraction.padEnd(shorter, "0").slice(0, shorter)}`
    }
    if (places(a) !== places(b) && round(a) === round(b)) return "precision"
  }
  if (isDate(expected) && isDate(actual)) {
    if (expected.slice(0, 4) === actual.slice(0, 4) && expected.slice(5, 7) === actual.slice(8, 10) && expected.slice(8, 10) === actual.slice(5, 7)) {
      return "day and month swapped"
    }
    const shift = days(actual) - days(expected)
    if (Math.abs(shift) <= 366) return `date shifted by ${shift} day${Math.abs(shift) === 1 ? "" : "s"}`
  }
  return null
}
