/**
 * Every cleaning rule is held by a test: each rule of the modules that clean legacy values (core's `NhsNumber`,
 * `Postcode`, `Uprn`, `CqcId`, `LegacyDate`, `LegacyText`, `Money`, `Decimal`, and the SWIFT pipeline's `Clean`) is
 * broken in turn, and the package's own tests of that module must then fail.
 *
 * A mutant names its rule in a data owner's words, an exact snippet of the source and what the snippet becomes with
 * the rule deleted or broken. Every snippet must occur exactly once in its file, checked before anything runs, so an
 * edit of the source fails this test loudly rather than leaving a mutant that tests nothing.
 *
 * Each mutant runs in a fresh folder under the system's temporary folder: the package's `src` and `test` copied, the
 * replacement made in the copy (never in the package), the package's dependencies linked one by one (so vitest's
 * caches are written in the copy), and vitest run there in a child process on the tests the mutant names, two at a
 * time. A mutant is killed when vitest exits with at least one failed test; a run that crashes (a test file that
 * cannot load, no report) kills nothing. The unmutated copy of each package must pass first, so that a broken harness
 * cannot count every mutant as killed. Every folder is removed at the end, whatever happened.
 */
import { afterAll, assert, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { cp, mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, symlink, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { node } from "./command.ts"

const root = path.resolve(import.meta.dirname, "..")
const vitest = path.join(root, "node_modules", "vitest", "vitest.mjs")
/** fast-check's seed and sizes, as in every package's own configuration. */
const setupFile = path.join(root, "packages", "testkit", "src", "setup.ts")

/** Mutants run at once: a child vitest is one process for the runner and one for its worker. */
const concurrency = 2
/** A child run that takes longer than this has hung: it is killed and counts as a crash. */
const childTimeoutMs = 90_000

interface Mutant {
  /** The source file, from the repository's root. */
  readonly module: string
  /** The package's tests of the module, from the package's folder. */
  readonly tests: ReadonlyArray<string>
  /** The rule the mutant breaks, in a data owner's words. */
  readonly rule: string
  /** An exact snippet of the source, found exactly once. */
  readonly find: string
  /** The snippet with the rule deleted or broken. */
  readonly replace: string
}

type Rule = Pick<Mutant, "rule" | "find" | "replace">

// Left out, as no input tells them from the source: the upper-casing of a CQC identifier (its prefix and digits have
// no case), the safe-integer test before the 32-bit range of a whole number (the digits allowed always make a whole
// number), and the postcode's fewest-changes-first order of O and zero swaps (when two swaps mend a postcode, one
// holds the other, and the smaller comes first in either order).

const mutantsOf = (module: string, tests: ReadonlyArray<string>, rules: ReadonlyArray<Rule>): ReadonlyArray<Mutant> =>
  rules.map((r) => ({ module, tests, ...r }))

/** A mutant for each word of a list, the word taken out. */
const eachWord = (list: string, words: ReadonlyArray<string>, rule: (word: string) => string): ReadonlyArray<Rule> =>
  words.map((word) => ({
    rule: rule(word),
    find: list,
    replace: list.replace(`"${word}", `, "").replace(`, "${word}"`, "")
  }))

const core = (name: string, tests: ReadonlyArray<string> = [`test/${name}.test.ts`]) => (rules: ReadonlyArray<Rule>) =>
  mutantsOf(`packages/core/src/${name}.ts`, tests, rules)

const nhsNumber = core("NhsNumber")([
  {
    rule: "Blank and the words legacy systems store for an unknown NHS number mean it is not known",
    find: "if (text === null || notKnown.has(text.trim().toUpperCase())) return",
    replace: "if (text === null) return"
  },
  ...eachWord(
    "new Set([\"\", \"N/K\", \"NK\", \"UNKNOWN\", \"NOT KNOWN\", \"N/A\"])",
    ["", "N/K", "NK", "UNKNOWN", "NOT KNOWN", "N/A"],
    (word) => word === "" ? "An empty NHS number is not known" : `${word} in place of an NHS number means it is not known`
  ),
  {
    rule: "The not-known words are read in any case (n/k, Unknown)",
    find: "notKnown.has(text.trim().toUpperCase())",
    replace: "notKnown.has(text.trim())"
  },
  {
    rule: "Spaces around a not-known word, or an NHS number of spaces only, mean it is not known",
    find: "notKnown.has(text.trim().toUpperCase())",
    replace: "notKnown.has(text.toUpperCase())"
  },
  { rule: "Spaces typed inside an NHS number are dropped", find: "text.replace(/[\\s-]/g, \"\")", replace: "text.replace(/-/g, \"\")" },
  { rule: "Hyphens typed inside an NHS number are dropped", find: "text.replace(/[\\s-]/g, \"\")", replace: "text.replace(/\\s/g, \"\")" },
  {
    rule: "An NHS number has ten digits, and is refused as too short, too long or not digits otherwise",
    find: "if (!/^\\d{10}$/.test(digits)) return",
    replace: "if (false) return"
  },
  {
    rule: "A number passes the NHS number check only with exactly ten digits",
    find: "/^\\d{10}$/.test(digits) && checkDigit",
    replace: "checkDigit"
  },
  {
    rule: "A placeholder NHS number (one digit repeated) is refused, even when its check digit fits",
    find: "if (/^(\\d)\\1{9}$/.test(digits))",
    replace: "if (false)"
  },
  { rule: "NHS numbers of the 999 test range are refused", find: "if (digits.startsWith(\"999\"))", replace: "if (false)" },
  { rule: "An NHS number whose Modulus 11 check digit is wrong is refused", find: "if (!isValid(digits))", replace: "if (false)" },
  {
    rule: "The Modulus 11 check weighs the first nine digits from ten down to two",
    find: "sum += Number(nine[i]) * (10 - i)",
    replace: "sum += Number(nine[i]) * (9 - i)"
  },
  {
    rule: "Nine digits whose Modulus 11 remainder is ten have no check digit: no NHS number begins with them",
    find: "check === 10 ? undefined : check",
    replace: "check"
  },
  {
    rule: "A Modulus 11 remainder of nothing gives the check digit 0",
    find: "return check === 11 ? 0 :",
    replace: "return check === 11 ? 11 :"
  }
])

const postcode = core("Postcode")([
  {
    rule: "A blank postcode is missing, not wrong",
    find: "if (text === null || text.trim() === \"\") return { _tag: \"Missing\" }",
    replace: "if (text === null) return { _tag: \"Missing\" }"
  },
  {
    rule: "A postcode with anything but letters, digits and spaces is refused",
    find: "if (!/^[A-Za-z0-9\\s]+$/.test(text)) return",
    replace: "if (false) return"
  },
  {
    rule: "A letter that only becomes a plain one when upper-cased (the long s) is refused, not read as that letter",
    find: "if (!/^[A-Za-z0-9\\s]+$/.test(text))",
    replace: "if (!/^[A-Za-z0-9\\s]+$/.test(text.toUpperCase()))"
  },
  { rule: "A postcode typed in lower case is upper-cased", find: "text.replace(/\\s+/g, \"\").toUpperCase()", replace: "text.replace(/\\s+/g, \"\")" },
  {
    rule: "Spaces anywhere in a postcode are dropped before it is checked",
    find: "text.replace(/\\s+/g, \"\").toUpperCase()",
    replace: "text.toUpperCase()"
  },
  {
    rule: "A postcode typed without its space gets one before the inward code",
    find: "const spaced = (compact: string) => `${compact.slice(0, -3)} ${compact.slice(-3)}`",
    replace: "const spaced = (compact: string) => compact"
  },
  {
    rule: "An outward code alone (SW1A) is refused as outward only, not merely too short",
    find: "outward.test(compact) ? reasons.outwardOnly : reasons.tooShort",
    replace: "reasons.tooShort"
  },
  { rule: "A postcode of fewer than five characters is refused as too short", find: "if (compact.length < 5) {", replace: "if (compact.length < 0) {" },
  { rule: "A postcode of more than seven characters is refused as too long", find: "if (compact.length > 7) return", replace: "if (compact.length > 99) return" },
  { rule: "GIR 0AA, the one postcode outside the pattern, is accepted", find: "if (compact === \"GIR0AA\") return \"Valid\"", replace: "" },
  { rule: "The NHS ZZ99 pseudo-postcodes are kept rather than refused", find: "if (pseudo.test(compact)) return \"Pseudo\"", replace: "" },
  {
    rule: "The NHS ZZ99 pseudo-postcodes are flagged as pseudo, not passed as real",
    find: "if (pseudo.test(compact)) return \"Pseudo\"",
    replace: "if (pseudo.test(compact)) return \"Valid\""
  },
  {
    rule: "An O typed for a zero (or a zero for an O) is reported for the data owner to correct",
    find: "if (swap !== undefined) return swap",
    replace: ""
  },
  {
    rule: "A letter O where a zero belongs is reported as a letter O",
    find: "letters === subset.length ? reasons.letterO :",
    replace: "letters === subset.length ? reasons.swapped :"
  },
  {
    rule: "A zero where a letter O belongs is reported as a zero",
    find: "letters === 0 ? reasons.digitZero :",
    replace: "letters === 0 ? reasons.letterO :"
  },
  {
    rule: "A letter O and a zero both in the wrong places are reported as swapped",
    find: ": reasons.swapped",
    replace: ": reasons.letterO"
  },
  {
    rule: "A letter O where the inward digit must be is reported as a letter O even when no swap mends the postcode",
    find: "if (inwardCode[0] === \"O\") return reasons.letterO",
    replace: ""
  },
  {
    rule: "A zero where the first inward letter must be is reported as a zero",
    find: "inwardCode[1] === \"0\" || ",
    replace: ""
  },
  {
    rule: "A zero where the last inward letter must be is reported as a zero",
    find: "inwardCode[2] === \"0\" || ",
    replace: ""
  },
  {
    rule: "A zero where the outward code's first letter must be is reported as a zero even when no swap mends the postcode",
    find: " || outwardCode[0] === \"0\"",
    replace: ""
  },
  {
    rule: "An inward code that is not a digit and two letters is refused as such",
    find: "if (!inwardShape.test(inwardCode)) return reasons.inwardShape",
    replace: ""
  },
  {
    rule: "An inward code with a letter Royal Mail never uses there is refused as such",
    find: "if (!inward.test(inwardCode)) return reasons.inwardLetters",
    replace: ""
  },
  {
    rule: "The inward code never uses C, I, K, M, O or V",
    find: "const inward = /^\\d[ABD-HJLNP-UW-Z]{2}$/",
    replace: "const inward = /^\\d[A-Z]{2}$/"
  },
  { rule: "The first letter of a postcode is never Q, V or X", find: "const first = \"[A-PR-UWYZ]\"", replace: "const first = \"[A-Z]\"" },
  { rule: "The second letter of a postcode is never I, J or Z", find: "const second = \"[A-HK-Y]\"", replace: "const second = \"[A-Z]\"" },
  { rule: "The letter after the digit of an A9A outward code is one Royal Mail allows there", find: "[A-HJKPSTUW]", replace: "[A-Z]" },
  { rule: "The letter after the digit of an AA9A outward code is one Royal Mail allows there", find: "[ABEHMNPRVWXY]", replace: "[A-Z]" },
  {
    rule: "An outward code with a letter not allowed in its place is refused as such, not as a malformed one",
    find: "outwardShape.test(outwardCode) ? reasons.outwardLetters : reasons.outwardShape",
    replace: "reasons.outwardShape"
  },
  { rule: "An outward code may be a letter and one or two digits (M1, B33)", find: "^(?:${first}\\\\d{1,2}|", replace: "^(?:" },
  { rule: "An outward code may be a letter, a digit and a letter (W1A)", find: "|${first}\\\\d[A-HJKPSTUW]", replace: "" },
  { rule: "An outward code may be two letters and one or two digits (CR2, DN55)", find: "|${first}${second}\\\\d{1,2}|", replace: "|" },
  { rule: "An outward code may be two letters, a digit and a letter (EC1A)", find: "|${first}${second}\\\\d[ABEHMNPRVWXY]", replace: "" }
])

const uprn = core("Uprn")([
  {
    rule: "A blank UPRN is missing, not wrong",
    find: "if (text === null || text.trim() === \"\") return { _tag: \"Missing\" }",
    replace: "if (text === null) return { _tag: \"Missing\" }"
  },
  { rule: "Spaces around a UPRN are dropped", find: "const trimmed = text.trim()", replace: "const trimmed = text" },
  { rule: "A UPRN has digits only", find: "if (!/^\\d+$/.test(trimmed)) return", replace: "if (false) return" },
  { rule: "Leading zeros of a padded UPRN column are dropped", find: "trimmed.replace(/^0+/, \"\")", replace: "trimmed" },
  { rule: "A UPRN of zeros only is refused", find: "if (uprn === \"\") return { _tag: \"Invalid\", reason: reasons.zero }", replace: "" },
  { rule: "A UPRN has at most twelve digits", find: "if (uprn.length > 12)", replace: "if (uprn.length > 13)" },
  {
    rule: "A UPRN column that must hold one refuses a blank",
    find: "return parsed._tag === \"Valid\"",
    replace: "return parsed._tag !== \"Invalid\""
  }
])

const cqcId = core("CqcId")([
  {
    rule: "A blank CQC identifier is missing, not wrong",
    find: "if (text === null || text.trim() === \"\") return { _tag: \"Missing\" }",
    replace: "if (text === null) return { _tag: \"Missing\" }"
  },
  { rule: "Spaces around a CQC identifier are dropped", find: "const cleaned = text.trim().toUpperCase()", replace: "const cleaned = text.toUpperCase()" },
  { rule: "A CQC identifier starts with 1-", find: "if (!cleaned.startsWith(\"1-\")) return", replace: "if (false) return" },
  { rule: "A CQC identifier has only digits after its 1- prefix", find: "if (!/^\\d+$/.test(digits)) return", replace: "if (false) return" },
  { rule: "A CQC identifier has at least eight digits", find: "digits.length < 8", replace: "digits.length < 7" },
  { rule: "A CQC identifier has at most eleven digits", find: "digits.length > 11", replace: "digits.length > 12" },
  {
    rule: "A CQC identifier column that must hold one refuses a blank",
    find: "return parsed._tag === \"Valid\"",
    replace: "return parsed._tag !== \"Invalid\""
  }
])

const legacyText = core("LegacyText", ["test/LegacyText.test.ts", "test/Uprn.test.ts", "test/CqcId.test.ts"])([
  {
    rule: "An optional column of spaces only is empty",
    find: "text === null || text.trim() === \"\"",
    replace: "text === null"
  },
  {
    rule: "An optional column that is NULL or blank is empty, not refused",
    find: "if (isBlank(text)) return Effect.succeed(null)",
    replace: ""
  },
  {
    rule: "A required column whose text does not read is refused with the reason",
    find: "(text: string, options) => {\n        const result = parse(text)\n        return \"ok\" in result",
    replace: "(text: string, options) => {\n        const result = parse(text)\n        return true"
  },
  {
    rule: "An optional column whose text does not read is refused with the reason",
    find: "if (isBlank(text)) return Effect.succeed(null)\n        const result = parse(text)\n        return \"ok\" in result",
    replace: "if (isBlank(text)) return Effect.succeed(null)\n        const result = parse(text)\n        return true"
  },
  {
    rule: "A value that is no number at all is reported as not a whole number, not as one written oddly",
    find: "if (!/^\\s*[-+]?\\d+\\s*$/.test(text)) return",
    replace: "if (false) return"
  },
  {
    rule: "A whole number with leading zeros (07) is refused, so two texts never give one number",
    find: "/^(0|-?[1-9]\\d*)$/",
    replace: "/^(0|-?\\d+)$/"
  },
  { rule: "Minus zero is refused as a whole number", find: "/^(0|-?[1-9]\\d*)$/", replace: "/^(-?0|-?[1-9]\\d*)$/" },
  { rule: "A whole number with a plus sign is refused", find: "/^(0|-?[1-9]\\d*)$/", replace: "/^(0|[-+]?[1-9]\\d*)$/" },
  { rule: "A whole number with spaces around it is refused", find: "/^(0|-?[1-9]\\d*)$/", replace: "/^\\s*(0|-?[1-9]\\d*)\\s*$/" },
  {
    rule: "A whole number too large for a 32-bit column is refused",
    find: "Number.isSafeInteger(n) && Math.abs(n) <= 2_147_483_647",
    replace: "Number.isSafeInteger(n)"
  },
  {
    rule: "The largest 32-bit whole number itself is accepted",
    find: "Math.abs(n) <= 2_147_483_647",
    replace: "Math.abs(n) < 2_147_483_647"
  },
  {
    rule: "Text holding a NUL character is refused, as the target cannot store it",
    find: "return \"holds a NUL character, which the target database cannot store\"",
    replace: "return undefined"
  },
  {
    rule: "Text holding half of a surrogate pair is refused, as it has no form in the target's encoding",
    find: "return \"holds a broken character (half of a UTF-16 surrogate pair), which has no form in the target's encoding\"",
    replace: "return undefined"
  },
  {
    rule: "A long value is shown cut short in a reason",
    find: "JSON.stringify(chars.length <= max ? text :",
    replace: "JSON.stringify(true ? text :"
  },
  { rule: "Spaces around a date column are dropped", find: "const t = text.trim()", replace: "const t = text" },
  {
    rule: "A date column reads yyyy-mm-dd",
    find: "if (m) iso = isoDate(Number(m[1]), Number(m[2]), Number(m[3]))",
    replace: "if (m) iso = undefined"
  },
  {
    rule: "A date column reads dd/mm/yyyy day first (British order)",
    find: "iso = isoDate(Number(m[3]), Number(m[2]), Number(m[1]))",
    replace: "iso = isoDate(Number(m[3]), Number(m[1]), Number(m[2]))"
  },
  { rule: "A date column refuses years before 1800", find: "y < 1800 || y > 2999", replace: "y < 1700 || y > 2999" },
  { rule: "A date column refuses years after 2999", find: "y < 1800 || y > 2999", replace: "y < 1800 || y > 3999" },
  { rule: "A date column refuses month nought", find: "m < 1 || m > 12", replace: "m > 12" },
  { rule: "A date column refuses a month over twelve", find: "m < 1 || m > 12", replace: "m < 1" },
  { rule: "A date column refuses day nought", find: "m > 12 || d < 1)", replace: "m > 12)" },
  {
    rule: "A date column refuses a day past the end of its month (31 February)",
    find: "if (d > new Date(Date.UTC(y, m, 0)).getUTCDate()) return undefined",
    replace: ""
  },
  { rule: "An optional text column is trimmed", find: "({ ok: text.trim() })", replace: "({ ok: text })" }
])

const legacyDate = core("LegacyDate")([
  ...eachWord(
    "new Set([\"UNKNOWN\", \"N/K\", \"NK\", \"NOT KNOWN\", \"N/A\"])",
    ["UNKNOWN", "N/K", "NK", "NOT KNOWN", "N/A"],
    (word) => `${word} in place of a date means it is missing`
  ),
  {
    rule: "The words for an unknown date mean it is missing",
    find: "if (t === \"\" || missing.has(t.toUpperCase())) return",
    replace: "if (t === \"\") return"
  },
  { rule: "The words for an unknown date are read in any case", find: "missing.has(t.toUpperCase())", replace: "missing.has(t)" },
  { rule: "A blank date is missing", find: "if (t === \"\" || missing", replace: "if (missing" },
  { rule: "Spaces around a date are dropped", find: "text.trim().replace(/\\s+/g, \" \")", replace: "text.replace(/\\s+/g, \" \")" },
  { rule: "Runs of spaces inside a date count as one", find: "text.trim().replace(/\\s+/g, \" \")", replace: "text.trim()" },
  { rule: "A date is read in ISO form (yyyy-mm-dd)", find: "if ((m = /^(\\d{4})-(\\d{2})-(\\d{2})$/.exec(t)))", replace: "if ((m = null))" },
  {
    rule: "A date is read in British form (dd/mm/yyyy)",
    find: "if ((m = /^(\\d{1,2})\\/(\\d{1,2})\\/(\\d{4})$/.exec(t)))",
    replace: "if ((m = null))"
  },
  {
    rule: "A British date is read day first",
    find: "british(t, Number(m[1]), Number(m[2]), Number(m[3]), \"exact\", \"british\", today)",
    replace: "british(t, Number(m[2]), Number(m[1]), Number(m[3]), \"exact\", \"british\", today)"
  },
  {
    rule: "A date that only reads month first (03/25/2019) is refused as US order",
    find: "dayMonthSwapSuspect(text) === \"impossible-as-british\"",
    replace: "false"
  },
  {
    rule: "A second number over 31 is no day either, so the date is not taken for US order",
    find: "second > 12 && second <= 31",
    replace: "second > 12"
  },
  {
    rule: "A day and month that are the same number (04/04) are not ambiguous",
    find: "second <= 12 && first !== second",
    replace: "second <= 12"
  },
  {
    rule: "A date is read with a two-digit year (dd/mm/yy)",
    find: "if ((m = /^(\\d{1,2})\\/(\\d{1,2})\\/(\\d{2})$/.exec(t)))",
    replace: "if ((m = null))"
  },
  {
    rule: "A two-digit year that would land after the cut-over is read in the century before",
    find: "sameCentury > today ? century + yy - 100 : century + yy",
    replace: "century + yy"
  },
  {
    rule: "A two-digit year that lands on the cut-over day itself stays in this century",
    find: "sameCentury > today ?",
    replace: "sameCentury >= today ?"
  },
  { rule: "A spreadsheet serial number is read as a date", find: "if ((m = /^\\d{1,6}$/.exec(t)))", replace: "if ((m = null))" },
  {
    rule: "A bare four-digit number that could be a year (1800 to 2099) is refused, not read as a serial date",
    find: "if (t.length === 4 && serial >= 1800 && serial <= 2099) return invalid(reasons.yearOrSerial)",
    replace: ""
  },
  {
    rule: "1800 and 2099 themselves are refused as year or serial date",
    find: "serial >= 1800 && serial <= 2099",
    replace: "serial > 1800 && serial < 2099"
  },
  {
    rule: "A serial date below one or above eighty thousand is refused",
    find: "if (serial < 1 || serial > 80_000) return invalid(reasons.serialRange)",
    replace: ""
  },
  { rule: "A serial date counts days from 30 December 1899", find: "Date.UTC(1899, 11, 30)", replace: "Date.UTC(1899, 11, 31)" },
  {
    rule: "An approximate year (approx 2015, c. 2015, circa 2015) is read",
    find: "if ((m = /^(?:approx\\.?|approximately|circa|ca\\.?|c\\.?) ?(\\d{4})$/i.exec(t)))",
    replace: "if ((m = null))"
  },
  { rule: "An approximate year may be written approximately", find: "|approximately", replace: "" },
  { rule: "An approximate year may be written circa", find: "|circa", replace: "" },
  { rule: "An approximate year may be written ca.", find: "|ca\\.?", replace: "" },
  { rule: "An approximate year may be written c.", find: "|c\\.?)", replace: ")" },
  { rule: "An approximate year is read in any case (Approx, CIRCA)", find: "(\\d{4})$/i.exec(t)", replace: "(\\d{4})$/.exec(t)" },
  {
    rule: "An approximate year is read as the first of July",
    find: "return dated(y, 7, 1, \"year\", \"approximate\", today)",
    replace: "return dated(y, 1, 1, \"year\", \"approximate\", today)"
  },
  {
    rule: "An approximate year of the cut-over year is read as the cut-over day when July is after it",
    find: "if (y === thisYear && midYear > today) return",
    replace: "if (false) return"
  },
  { rule: "A month and year (March 2019) is read", find: "if ((m = /^([A-Za-z]+)\\.? (\\d{4})$/.exec(t)))", replace: "if ((m = null))" },
  { rule: "A shortened month name may end with a full stop (Sept. 2019)", find: "/^([A-Za-z]+)\\.? (\\d{4})$/", replace: "/^([A-Za-z]+) (\\d{4})$/" },
  { rule: "A month and year is read as the first of the month", find: "dated(Number(m[2]), month, 1, \"month\"", replace: "dated(Number(m[2]), month, 15, \"month\"" },
  { rule: "A month is named in full (March)", find: "months.set(name, i + 1).set(", replace: "months.set(" },
  { rule: "A month is named by its first three letters (Mar)", find: ".set(name.slice(0, 3), i + 1)", replace: "" },
  { rule: "September may be written Sept", find: "new Map<string, number>([[\"sept\", 9]])", replace: "new Map<string, number>()" },
  { rule: "A month name is read in any case", find: "months.get(String(m[1]).toLowerCase())", replace: "months.get(String(m[1]))" },
  {
    rule: "A word that is no month name is refused as such",
    find: "month === undefined ? invalid(reasons.monthName)",
    replace: "month === undefined ? invalid(reasons.notADate)"
  },
  {
    rule: "A date that is not in the calendar (31/02) is refused",
    find: "if (!isCalendarDate(y, m, d)) return invalid(reasons.notInCalendar)",
    replace: ""
  },
  {
    rule: "29 February is refused outside leap years",
    find: "(m !== 2 || d !== 29 ||",
    replace: "(true ||"
  },
  {
    rule: "A century year is a leap year only when it divides by 400 (1900 is not one)",
    find: "(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))",
    replace: "(y % 4 === 0)"
  },
  { rule: "2000, divisible by 400, is a leap year", find: "y % 400 === 0", replace: "false" },
  {
    rule: "A day past the end of its month is refused",
    find: "d <= daysInMonth[m - 1]!",
    replace: "d <= 31"
  },
  {
    rule: "Year one is a dummy date, kept apart from real ones",
    find: "if (y === 1) return { _tag: \"Sentinel\", reason: reasons.yearOne }",
    replace: ""
  },
  { rule: "01/01/1900 is a dummy date", find: "new Set([\"1900-01-01\", \"1800-01-01\"])", replace: "new Set([\"1800-01-01\"])" },
  { rule: "01/01/1800 is a dummy date", find: "new Set([\"1900-01-01\", \"1800-01-01\"])", replace: "new Set([\"1900-01-01\"])" },
  { rule: "A dummy date is told apart from a real one", find: "sentinels.has(date) && accuracy === \"exact\"", replace: "false" },
  {
    rule: "Only an exact date can be a dummy date: January 1900 is a month, not a dummy",
    find: "sentinels.has(date) && accuracy === \"exact\"",
    replace: "sentinels.has(date)"
  },
  { rule: "A date before 1800 is refused as too early", find: "if (y < 1800) return invalid(reasons.tooEarly)", replace: "" },
  { rule: "A date after the cut-over is refused", find: "if (date > today) return invalid(reasons.future)", replace: "" },
  { rule: "The cut-over day itself is not in the future", find: "if (date > today) return", replace: "if (date >= today) return" },
  {
    rule: "A cut-over date that is not in the calendar is refused",
    find: "if (m === null || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) {",
    replace: "if (m === null) {"
  }
])

const money = core("Money")([
  { rule: "A pound sign before an amount is dropped", find: ".replace(/^£/, \"\")", replace: "" },
  { rule: "Thousands commas in an amount are dropped", find: ".replaceAll(\",\", \"\").trim()", replace: ".trim()" },
  { rule: "Spaces before an amount (and before its pound sign) are dropped", find: "text.trim().replace(/^£/", replace: "text.replace(/^£/" },
  { rule: "Spaces after a pound sign are dropped", find: ".replaceAll(\",\", \"\").trim()", replace: ".replaceAll(\",\", \"\")" },
  { rule: "Text that is not an amount of money is refused", find: "if (!moneyText.test(cleaned)) return", replace: "if (false) return" },
  { rule: "An amount with more than two decimal places is refused, not rounded", find: "if (placesWritten(cleaned) > 2) {", replace: "if (false) {" },
  {
    rule: "Trailing zeros count as decimal places (1.500 may be fifteen hundred written with a full stop separator)",
    find: "return point < 0 ? 0 : digits.length - point - 1",
    replace: "return point < 0 ? 0 : digits.replace(/0+$/, \"\").length - point - 1"
  },
  {
    rule: "An amount too large to count in pence exactly is refused",
    find: "if (pence.abs().greaterThan(Number.MAX_SAFE_INTEGER)) {",
    replace: "if (false) {"
  },
  { rule: "A minus sign makes an amount negative", find: "return negative ? 0 - pence : pence", replace: "return negative ? pence : pence" },
  {
    rule: "Minus nothing (-0.00) is zero pence, not minus zero",
    find: "return negative ? 0 - pence : pence",
    replace: "return negative ? -pence : pence"
  },
  {
    rule: "One decimal place is tens of pence (12.5 is 1250 pence)",
    find: "(text.charCodeAt(i + 1) - 48) * 10 + (i + 2 < text.length ? text.charCodeAt(i + 2) - 48 : 0)",
    replace: "(i + 2 < text.length ? (text.charCodeAt(i + 1) - 48) * 10 + text.charCodeAt(i + 2) - 48 : text.charCodeAt(i + 1) - 48)"
  },
  { rule: "A negative amount is written with its minus sign", find: "${pence < 0 ? \"-\" : \"\"}", replace: "" },
  { rule: "Pence are written with two digits (1.05, not 1.5)", find: "String(whole % 100).padStart(2, \"0\")", replace: "String(whole % 100)" },
  { rule: "Only a whole number of pence is written as pounds", find: "if (!Number.isSafeInteger(pence)) throw", replace: "if (false) throw" },
  { rule: "An amount read back that is not a whole number of pence is refused", find: "if (!pence.isInteger()) throw", replace: "if (false) throw" },
  { rule: "A blank legacy amount is missing, not wrong", find: "if (text.trim() === \"\") return { _tag: \"Missing\" }", replace: "" },
  { rule: "Spaces around a legacy amount are dropped", find: "let body = text.trim()", replace: "let body = text" },
  { rule: "A pound sign before a legacy amount is allowed", find: "/^(-)?(£)?\\s*", replace: "/^(-)?()?\\s*" },
  { rule: "A legacy amount in brackets is negative", find: "pence: minus || bracketed ? 0 - plain : plain", replace: "pence: minus ? 0 - plain : plain" },
  { rule: "A legacy amount with a minus sign is negative", find: "pence: minus || bracketed ? 0 - plain : plain", replace: "pence: bracketed ? 0 - plain : plain" },
  { rule: "A minus sign after the pound sign (£-12.00) counts", find: "const minus = m[1] !== undefined || m[3] !== undefined", replace: "const minus = m[1] !== undefined" },
  { rule: "A legacy amount of minus nothing is zero pence, not minus zero", find: "? 0 - plain : plain", replace: "? -plain : plain" },
  {
    rule: "A large legacy amount in brackets or with a minus sign is negative",
    find: "pence: minus || bracketed ? 0 - value : value",
    replace: "pence: value"
  },
  { rule: "A legacy amount both bracketed and with a minus sign is refused", find: "if (bracketed && minus) return invalid(amountReasons.notAnAmount)", replace: "" },
  { rule: "A legacy amount with two minus signs is refused", find: " || (m[1] !== undefined && m[3] !== undefined)", replace: "" },
  {
    rule: "A comma used as the decimal separator (12,50 or 1.234,50) is refused, not guessed at",
    find: "if (lastComma > digits.lastIndexOf(\".\") && (digits.includes(\".\") || /^\\d+,\\d{1,2}$/.test(digits))) {",
    replace: "if (false) {"
  },
  { rule: "A comma after a full stop (1.234,50) is a decimal comma", find: "digits.includes(\".\") || ", replace: "" },
  { rule: "A comma before one or two digits (12,50) is a decimal comma", find: " || /^\\d+,\\d{1,2}$/.test(digits)", replace: "" },
  { rule: "Thousands separators must mark groups of three digits", find: "if (!grouped.test(digits)) {", replace: "if (false) {" },
  { rule: "Every group after a thousands separator has exactly three digits", find: "(?:,\\d{3})+", replace: "(?:,\\d{2,3})+" },
  { rule: "The first group before a thousands separator has at most three digits", find: "\\d{1,3}(?:,", replace: "\\d+(?:," },
  {
    rule: "A legacy amount with more than two decimal places is refused, not rounded",
    find: "if (placesWritten(ungrouped) > 2) return invalid(amountReasons.decimalPlaces)",
    replace: ""
  },
  {
    rule: "A legacy amount too large to count in pence exactly is refused",
    find: "if (pence.greaterThan(Number.MAX_SAFE_INTEGER)) return invalid(amountReasons.tooLarge)",
    replace: ""
  }
])

const decimal = core("Decimal", ["test/Money.test.ts"])([
  {
    rule: "Amounts are worked out in exact decimal arithmetic, every digit kept (not rounded as binary floating point is)",
    find: "}).default",
    replace: "}).default.clone({ precision: 15 })"
  }
])

const clean = mutantsOf("pipelines/swift-to-ias/src/Clean.ts", ["test/Clean.test.ts"], [
  { rule: "Dates are checked against the run's cut-over date", find: "context.parameters.cutoverDate ?? \"2026-03-31\"", replace: "\"2026-03-31\"" },
  {
    rule: "Without a cut-over date in the run's parameters, 31 March 2026 is the cut-over",
    find: "context.parameters.cutoverDate ?? \"2026-03-31\"",
    replace: "context.parameters.cutoverDate ?? \"2999-12-31\""
  },
  { rule: "A planned date (an end date) may lie after the cut-over", find: "options.future === true ? \"2999-12-31\" : today(context)", replace: "today(context)" },
  { rule: "Only a planned date may lie after the cut-over", find: "options.future === true ? \"2999-12-31\" : today(context)", replace: "\"2999-12-31\"" },
  {
    rule: "An empty date stays empty",
    find: "case \"Missing\":\n      return nothing\n    case \"Sentinel\":",
    replace: "case \"Missing\":\n      return bad(\"no date\")\n    case \"Sentinel\":"
  },
  { rule: "A dummy date is left empty", find: "ok({ date: null, accuracy: \"unknown\" }", replace: "ok({ date: \"1900-01-01\", accuracy: \"unknown\" }" },
  {
    rule: "A dummy date left empty is flagged for the data owner",
    find: ", [Pipeline.flag(rule, field, \"warning\", `${field}: ${parsed.reason}; left empty`)]",
    replace: ""
  },
  {
    rule: "A dummy date left empty is flagged as a warning",
    find: "Pipeline.flag(rule, field, \"warning\", `${field}: ${parsed.reason}; left empty`)",
    replace: "Pipeline.flag(rule, field, \"info\", `${field}: ${parsed.reason}; left empty`)"
  },
  {
    rule: "An unreadable date quarantines the row",
    find: "case \"Invalid\":\n      return bad(`${field}: ${parsed.reason}`)\n    case \"Date\":",
    replace: "case \"Invalid\":\n      return ok(null)\n    case \"Date\":"
  },
  {
    rule: "The quarantine reason of a date names its field",
    find: "return bad(`${field}: ${parsed.reason}`)\n    case \"Date\":",
    replace: "return bad(parsed.reason)\n    case \"Date\":"
  },
  {
    rule: "A date read from a spreadsheet serial number is flagged",
    find: "if (parsed.accuracy === \"exact\" && parsed.source === \"excel-serial\") {",
    replace: "if (false) {"
  },
  {
    rule: "An exact date carries no flag",
    find: "if (parsed.accuracy === \"exact\") return ok({ date: parsed.date, accuracy: \"exact\" })",
    replace: ""
  },
  {
    rule: "A two-digit year is flagged as a warning",
    find: "parsed.accuracy === \"two-digit-year\" ? \"warning\" : \"info\"",
    replace: "\"info\""
  },
  {
    rule: "A month and year or an approximate year is flagged for information only",
    find: "parsed.accuracy === \"two-digit-year\" ? \"warning\" : \"info\"",
    replace: "\"warning\""
  },
  {
    rule: "A partial date keeps its accuracy",
    find: "ok({ date: parsed.date, accuracy: parsed.accuracy }, [",
    replace: "ok({ date: parsed.date, accuracy: \"exact\" }, ["
  },
  {
    rule: "An unreadable date quarantines the row when only the date is wanted",
    find: "return result._tag === \"Bad\" ? result : result === nothing ? nothing : ok(",
    replace: "return result === nothing ? nothing : ok("
  },
  { rule: "A date keeps its flags when only the date is wanted", find: "ok(result.value?.date ?? null, result.flags)", replace: "ok(result.value?.date ?? null)" },
  { rule: "An unreadable required date quarantines the row", find: "if (result._tag === \"Bad\") return result", replace: "" },
  { rule: "An empty required date quarantines the row", find: "result.value === null ? bad(", replace: "false ? bad(" },
  { rule: "A required date keeps its flags", find: "ok(result.value, result.flags)", replace: "ok(result.value)" },
  {
    rule: "An empty amount stays empty",
    find: "case \"Missing\":\n      return nothing\n    case \"Invalid\":",
    replace: "case \"Missing\":\n      return bad(\"no amount\")\n    case \"Invalid\":"
  },
  {
    rule: "An unreadable amount quarantines the row, the reason naming its field",
    find: "case \"Invalid\":\n      return bad(`${field}: ${parsed.reason}`)\n    case \"Amount\":",
    replace: "case \"Invalid\":\n      return ok(null)\n    case \"Amount\":"
  },
  { rule: "An amount is carried in pence", find: "return ok(parsed.pence)", replace: "return ok(null)" },
  { rule: "Zero pence is written 0.00, not left empty", find: "pence === null ? null : Money.toPounds(pence)", replace: "!pence ? null : Money.toPounds(pence)" },
  ...eachWord(
    "[\"Y\", \"YES\", \"T\", \"TRUE\", \"1\"]",
    ["Y", "YES", "T", "TRUE", "1"],
    (word) => `A flag of ${word} is yes`
  ),
  { rule: "A yes flag is read in any case", find: "flag.trim().toUpperCase()", replace: "flag.trim()" },
  { rule: "Spaces around a yes flag are dropped", find: "flag.trim().toUpperCase()", replace: "flag.toUpperCase()" },
  { rule: "A NULL flag is no", find: "flag !== null && [", replace: "[" },
  {
    rule: "The first bad value of a row quarantines it",
    find: "if (r._tag === \"Bad\") return { _tag: \"Bad\", reason: r.reason, index }",
    replace: "if (r._tag === \"Bad\") continue"
  },
  { rule: "The quarantine says which value of a row was bad", find: "reason: r.reason, index }", replace: "reason: r.reason, index: 0 }" },
  { rule: "The flags of every value of a row are kept", find: "flags.push(...r.flags)", replace: "" }
])

const mutants: ReadonlyArray<Mutant> = [
  ...nhsNumber,
  ...postcode,
  ...uprn,
  ...cqcId,
  ...legacyText,
  ...legacyDate,
  ...money,
  ...decimal,
  ...clean
]

/** The package folder of a module, from the repository's root: `packages/core`. */
const packageOf = (module: string) => module.slice(0, module.indexOf("/src/"))

const occurrences = (text: string, snippet: string) => text.split(snippet).length - 1

/** A test file's result in vitest's JSON report. */
interface FileResult {
  readonly name: string
  readonly message: string
  readonly assertionResults: ReadonlyArray<{ readonly status: string }>
}

interface Report {
  readonly numFailedTests: number
  readonly numPassedTests: number
  readonly testResults: ReadonlyArray<FileResult>
}

interface Run {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly report: Report | undefined
  readonly output: string
  readonly ms: number
}

/** The child runs under way, with how to wait for each to end. */
const running = new Map<ChildProcess, Promise<void>>()
/** Set once the test has ended (or timed out): no further mutant starts. */
let stopped = false
let workspace = ""

/** Kills the child runs under way and waits for them to end, then removes every copy. */
const cleanUp = async () => {
  stopped = true
  for (const child of running.keys()) child.kill("SIGKILL")
  await Promise.all(running.values())
  if (workspace !== "") await rm(workspace, { recursive: true, force: true, maxRetries: 5 })
}

afterAll(cleanUp)

/**
 * A copy of a package in `folder`: `src` and `test`, the mutant's replacement made, each of the package's dependencies
 * linked, and a vitest configuration that runs only the given tests.
 */
const copyPackage = async (folder: string, pkg: string, tests: ReadonlyArray<string>, mutant: Mutant | undefined) => {
  await cp(path.join(root, pkg, "src"), path.join(folder, "src"), { recursive: true })
  await cp(path.join(root, pkg, "test"), path.join(folder, "test"), { recursive: true })
  const modules = path.join(root, pkg, "node_modules")
  await mkdir(path.join(folder, "node_modules"))
  for (const name of await readdir(modules)) {
    if (!name.startsWith(".")) await symlink(path.join(modules, name), path.join(folder, "node_modules", name))
  }
  if (mutant !== undefined) {
    const file = path.join(folder, path.relative(pkg, mutant.module))
    const source = await readFile(file, "utf8")
    assert.strictEqual(occurrences(source, mutant.find), 1, `${mutant.module}: ${mutant.rule}`)
    await writeFile(file, source.replace(mutant.find, () => mutant.replace))
  }
  // one worker for all the test files, which loads the modules they share (effect) once
  const config = { test: { setupFiles: [setupFile], include: tests, testTimeout: 60_000, isolate: false, fileParallelism: false } }
  await writeFile(path.join(folder, "vitest.config.mjs"), `export default ${JSON.stringify(config, null, 2)}\n`)
}

/** Runs vitest on a copy in a child process, with its JSON report. */
const runVitest = (folder: string): Promise<Run> =>
  new Promise((resolve, reject) => {
    if (stopped) return reject(new Error("stopped before every mutant ran"))
    const reportFile = path.join(folder, "report.json")
    // the child is a vitest of its own, not a worker of this one; the children share Node's compiled code of the
    // modules they all load (vitest, effect, fast-check)
    const env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("VITEST"))),
      NODE_COMPILE_CACHE: path.join(workspace, "compile-cache")
    }
    const started = Date.now()
    const child = spawn(
      node,
      [vitest, "run", "--root", folder, "--config", path.join(folder, "vitest.config.mjs"), "--reporter=json", `--outputFile=${reportFile}`],
      { cwd: folder, env, stdio: ["ignore", "pipe", "pipe"] }
    )
    let closed = () => {}
    running.set(child, new Promise((resolve) => (closed = resolve)))
    const timer = setTimeout(() => child.kill("SIGKILL"), childTimeoutMs)
    let output = ""
    const collect = (chunk: string) => {
      if (output.length < 20_000) output += chunk
    }
    child.stdout.setEncoding("utf8").on("data", collect)
    child.stderr.setEncoding("utf8").on("data", collect)
    child.on("error", (error) => {
      clearTimeout(timer)
      running.delete(child)
      closed()
      reject(error)
    })
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      running.delete(child)
      closed()
      readFile(reportFile, "utf8").then(
        (text) => JSON.parse(text) as Report,
        () => undefined
      ).then((report) => resolve({ code, signal, report, output, ms: Date.now() - started }))
    })
  })

type Verdict =
  | { readonly _tag: "Killed"; readonly by: ReadonlyArray<{ readonly file: string; readonly failed: number }> }
  | { readonly _tag: "Survived" }
  | { readonly _tag: "Crashed"; readonly why: string }

/** Killed: vitest exited 1 with failed tests and every test file loaded. Passing is survival; anything else a crash. */
const verdictOf = (run: Run): Verdict => {
  const { report } = run
  if (report === undefined) return { _tag: "Crashed", why: `no report (exit ${run.code}, ${run.signal ?? "no signal"}): ${run.output.slice(-2000)}` }
  const broken = report.testResults.filter((file) => file.message !== "")
  if (broken.length > 0) return { _tag: "Crashed", why: broken.map((file) => `${path.basename(file.name)}: ${file.message}`).join("\n") }
  if (run.code === 0 && report.numFailedTests === 0 && report.numPassedTests > 0) return { _tag: "Survived" }
  if (run.code === 1 && report.numFailedTests > 0) {
    const by = report.testResults
      .map((file) => ({ file: path.basename(file.name), failed: file.assertionResults.filter((a) => a.status === "failed").length }))
      .filter((file) => file.failed > 0)
    return { _tag: "Killed", by }
  }
  return { _tag: "Crashed", why: `exit ${run.code} with ${report.numFailedTests} failed and ${report.numPassedTests} passed tests` }
}

/**
 * Applies `f` to every item, `limit` at a time, the results in the items' order. After a failure (or once the test
 * has ended) no further item starts, and the items under way are waited for, so that no child run outlives it.
 */
const inTurn = async <A, B>(items: ReadonlyArray<A>, limit: number, f: (item: A, index: number) => Promise<B>) => {
  const results: Array<B> = []
  let next = 0
  let failed = false
  const worker = async () => {
    while (!failed && !stopped && next < items.length) {
      const index = next++
      try {
        results[index] = await f(items[index]!, index)
      } catch (error) {
        failed = true
        throw error
      }
    }
  }
  const settled = await Promise.allSettled(Array.from({ length: limit }, worker))
  for (const outcome of settled) if (outcome.status === "rejected") throw outcome.reason
  if (stopped) throw new Error("stopped before every mutant ran")
  return results
}

const shortName = (module: string) => path.basename(module, ".ts")

const table = (rows: ReadonlyArray<ReadonlyArray<string>>) => {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd()).join("\n")
}

describe("cleaning rules", () => {
  it("every cleaning rule is held by a test that fails when the rule is broken", async () => {
    const started = Date.now()
    // every snippet exactly once in its source, and every named test file there, before anything runs
    const problems: Array<string> = []
    const sources = new Map<string, string>()
    for (const mutant of mutants) {
      const source = sources.get(mutant.module) ?? await readFile(path.join(root, mutant.module), "utf8")
      sources.set(mutant.module, source)
      const found = occurrences(source, mutant.find)
      if (found !== 1) problems.push(`${mutant.module}: ${JSON.stringify(mutant.find)} occurs ${found} times (${mutant.rule})`)
      if (mutant.replace === mutant.find) problems.push(`${mutant.module}: the mutant of "${mutant.rule}" changes nothing`)
      for (const test of mutant.tests) {
        const exists = await stat(path.join(root, packageOf(mutant.module), test)).then(() => true, () => false)
        if (!exists) problems.push(`${mutant.module}: no test file ${test}`)
      }
    }
    const rules = new Set(mutants.map((m) => `${m.module} ${m.rule}`))
    if (rules.size !== mutants.length) problems.push("two mutants name the same rule of the same module")
    assert.deepStrictEqual(problems, [], problems.join("\n"))

    // the real path, as vitest names the test files it ran
    workspace = await realpath(await mkdtemp(path.join(tmpdir(), "handover-mutants-")))
    try {
      // each package unmutated, on every test file a mutant of it names: all must pass
      const packages = [...new Set(mutants.map((m) => packageOf(m.module)))]
      await inTurn(packages, concurrency, async (pkg, index) => {
        const tests = [...new Set(mutants.filter((m) => packageOf(m.module) === pkg).flatMap((m) => m.tests))].sort()
        const folder = path.join(workspace, `unmutated-${index}`)
        await copyPackage(folder, pkg, tests, undefined)
        const run = await runVitest(folder)
        const ran = (run.report?.testResults ?? []).map((file) => path.relative(folder, file.name)).sort()
        assert.strictEqual(verdictOf(run)._tag, "Survived", `the unmutated copy of ${pkg} must pass its tests\n${run.output.slice(-4000)}`)
        assert.deepStrictEqual(ran, tests, `the unmutated copy of ${pkg} ran other test files than named`)
        await rm(folder, { recursive: true, force: true })
      })

      const verdicts = await inTurn(mutants, concurrency, async (mutant, index) => {
        const folder = path.join(workspace, `mutant-${index}`)
        try {
          await copyPackage(folder, packageOf(mutant.module), mutant.tests, mutant)
          const run = await runVitest(folder)
          return { verdict: verdictOf(run), ms: run.ms }
        } finally {
          await rm(folder, { recursive: true, force: true })
        }
      })

      const rows = mutants.map((mutant, i) => {
        const { verdict, ms } = verdicts[i]!
        const outcome = verdict._tag === "Killed"
          ? `killed by ${verdict.by.map((b) => `${b.file} (${b.failed} failed)`).join(", ")}`
          : verdict._tag === "Survived"
          ? "SURVIVED"
          : "CRASHED"
        return [shortName(mutant.module), mutant.rule, outcome, `${(ms / 1000).toFixed(1)} s`]
      })
      const killed = verdicts.filter((v) => v.verdict._tag === "Killed").length
      console.log(
        `${table([["module", "rule", "outcome", "time"], ...rows])}\n\n${killed} of ${mutants.length} mutants killed ` +
          `in ${((Date.now() - started) / 1000).toFixed(0)} s`
      )

      const crashed = mutants.flatMap((mutant, i) => {
        const { verdict } = verdicts[i]!
        return verdict._tag === "Crashed" ? [`${mutant.module}: ${mutant.rule}\n${verdict.why}`] : []
      })
      assert.deepStrictEqual(crashed, [], `mutants whose test run crashed rather than failed:\n${crashed.join("\n\n")}`)
      const survivors = mutants.flatMap((mutant, i) =>
        verdicts[i]!.verdict._tag === "Survived" ? [`${mutant.module}: ${mutant.rule} (${JSON.stringify(mutant.find)})`] : []
      )
      assert.deepStrictEqual(survivors, [], `rules no test holds:\n${survivors.join("\n")}`)
    } finally {
      await cleanUp()
    }
  }, 1_200_000)
})
