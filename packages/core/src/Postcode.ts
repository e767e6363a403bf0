/**
 * UK postcodes as typed into a legacy system: cleaned to the Royal Mail form (`SW1A 1AA`), NHS pseudo-postcodes
 * such as `ZZ99 3VZ` (no fixed abode) kept but flagged, and everything else sent back to the data owner with a
 * reason. Nothing is guessed: an `O` typed for a zero is reported, not fixed.
 */

export type Parsed =
  | { readonly _tag: "Valid"; readonly postcode: string }
  | { readonly _tag: "Pseudo"; readonly postcode: string }
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Invalid"; readonly reason: string }

/** Every reason an address's postcode can be refused for. None repeats the postcode it was given. */
export const reasons = {
  characters: "a postcode has only letters, digits and spaces",
  outwardOnly: "only the outward code (area and district) is present; the inward code after the space is missing",
  tooShort: "too short to be a postcode",
  tooLong: "too long to be a postcode",
  letterO: "the letter O stands where a digit must be; the data owner should correct it",
  digitZero: "the digit zero stands where a letter must be; the data owner should correct it",
  swapped: "the letter O and the digit zero are swapped; the data owner should correct it",
  inwardShape: "the inward code (the last three characters) must be a digit then two letters",
  inwardLetters: "the inward code never uses the letters C, I, K, M, O or V",
  outwardShape: "the outward code must be one or two letters, a digit, then at most one more digit or letter",
  outwardLetters: "the outward code uses a letter that is not allowed in its position"
} as const

// Outward codes: A9, A99, A9A, AA9, AA99, AA9A with the letters Royal Mail allows in each position. The third letter
// of A9A is one of A-H, J, K, P, S, T, U, W (P as in N1P); the fourth of AA9A one of A, B, E, H, M, N, P, R, V-Y.
const first = "[A-PR-UWYZ]"
const second = "[A-HK-Y]"
const outward = new RegExp(`^(?:${first}\\d{1,2}|${first}\\d[A-HJKPSTUW]|${first}${second}\\d{1,2}|${first}${second}\\d[ABEHMNPRVWXY])$`)
const outwardShape = /^(?:[A-Z]{1,2}\d[A-Z\d]?)$/
const inward = /^\d[ABD-HJLNP-UW-Z]{2}$/
const inwardShape = /^\d[A-Z]{2}$/
const pseudo = /^ZZ99\d[A-Z]{2}$/

type Shape = "Valid" | "Pseudo" | undefined

/** What a postcode without spaces is, when it is a postcode at all. */
const shapeOf = (compact: string): Shape => {
  if (compact === "GIR0AA") return "Valid"
  if (pseudo.test(compact)) return "Pseudo"
  return outward.test(compact.slice(0, -3)) && inward.test(compact.slice(-3)) ? "Valid" : undefined
}

const spaced = (compact: string) => `${compact.slice(0, -3)} ${compact.slice(-3)}`

/** The reason when a postcode reads correctly once some `O`s and zeros trade places, fewest changes first. */
const swapReason = (compact: string): string | undefined => {
  const positions = [...compact].flatMap((c, i) => (c === "O" || c === "0" ? [i] : []))
  const subsets = Array.from({ length: 2 ** positions.length - 1 }, (_, n) => positions.filter((_, b) => (n + 1) & (1 << b)))
  subsets.sort((a, b) => a.length - b.length)
  for (const subset of subsets) {
    const chars = [...compact]
    for (const i of subset) chars[i] = chars[i] === "O" ? "0" : "O"
    if (shapeOf(chars.join("")) === undefined) continue
    const letters = subset.filter((i) => compact[i] === "O").length
    return letters === subset.length ? reasons.letterO : letters === 0 ? reasons.digitZero : reasons.swapped
  }
  return undefined
}

/** Why a postcode of the right length is not one. */
const invalidReason = (compact: string): string => {
  const swap = swapReason(compact)
  if (swap !== undefined) return swap
  const inwardCode = compact.slice(-3)
  const outwardCode = compact.slice(0, -3)
  // An O or a zero that no swap alone mends is still reported where the position settles what it should be
  if (inwardCode[0] === "O") return reasons.letterO
  if (inwardCode[1] === "0" || inwardCode[2] === "0" || outwardCode[0] === "0") return reasons.digitZero
  if (!inwardShape.test(inwardCode)) return reasons.inwardShape
  if (!inward.test(inwardCode)) return reasons.inwardLetters
  return outwardShape.test(outwardCode) ? reasons.outwardLetters : reasons.outwardShape
}

/**
 * Upper-cases a postcode, drops every space and puts one back before the inward code (the last three characters),
 * then checks the pattern. Blank is `Missing`; the NHS `ZZ99` pseudo-postcodes are `Pseudo`.
 */
export const normalise = (text: string | null): Parsed => {
  if (text === null || text.trim() === "") return { _tag: "Missing" }
  // Checked before upper-casing: some letters upper-case to plain ones (the long s to S)
  if (!/^[A-Za-z0-9\s]+$/.test(text)) return { _tag: "Invalid", reason: reasons.characters }
  const compact = text.replace(/\s+/g, "").toUpperCase()
  if (compact.length < 5) {
    return { _tag: "Invalid", reason: outward.test(compact) ? reasons.outwardOnly : reasons.tooShort }
  }
  if (compact.length > 7) return { _tag: "Invalid", reason: reasons.tooLong }
  const shape = shapeOf(compact)
  return shape === undefined
    ? { _tag: "Invalid", reason: invalidReason(compact) }
    : { _tag: shape, postcode: spaced(compact) }
}
