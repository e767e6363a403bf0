/**
 * The likely-duplicate search holds a share of the clients at a time: however many passes it makes over the rows,
 * it finds the same pairs.
 */
import { assert, describe } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import { People } from "@handover/swift-to-ias"

const runs = Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30)

const rowArb = fc.tuple(
  fc.constantFrom("Smith", "Smyth", "Jones", "Brown", null),
  fc.constantFrom("1950-03-04", "1950-04-03", "04/03/1950", "1961-12-01", "not a date", null),
  fc.constantFrom("9434765919", "4010232137", null),
  fc.constantFrom("AB1 2CD", "ab12cd", "EF3 4GH", null)
)

/** Rows as the search reads them, in batches; a client may come once for each of its addresses. */
const rowsArb = fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), rowArb), { maxLength: 60 }).map((rows) =>
  rows.map(([client, [surname, dob, nhs, postcode]]) => [String(client), surname, dob, nhs, postcode] as const)
)

const read = (rows: ReadonlyArray<ReadonlyArray<string | null>>, size: number) => async function*() {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size)
}

const sorted = (pairs: ReadonlyArray<{ a: string; b: string; sameDob: boolean }>) =>
  pairs.map((p) => `${p.a}|${p.b}|${p.sameDob}`).sort()

describe("likely duplicates", () => {
  test.prop([rowsArb, fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 7 })], { numRuns: runs * 5 })(
    "the same pairs in one pass or many",
    async (rows, passes, size) => {
      const one = await People.likelyDuplicatePairs(read(rows, size), 1, "2026-03-31")
      const many = await People.likelyDuplicatePairs(read(rows, size), passes, "2026-03-31")
      assert.deepStrictEqual(sorted(many), sorted(one))
    }
  )

  test.prop([rowsArb.chain((rows) => fc.tuple(fc.constant(rows), fc.shuffledSubarray(rows, { minLength: rows.length }))), fc.integer({ min: 1, max: 4 })], { numRuns: runs * 5 })(
    "the same pairs, in the same order and the same way round, whatever order the rows come in",
    async ([rows, shuffled], passes) => {
      const inOrder = await People.likelyDuplicatePairs(read(rows, 5), passes, "2026-03-31")
      assert.deepStrictEqual(await People.likelyDuplicatePairs(read(shuffled, 3), passes, "2026-03-31"), inOrder)
    }
  )

  test.prop([fc.integer({ min: 2, max: 6 })], { numRuns: 5 })("finds a pair with swapped day and month, and not two valid NHS numbers", async (passes) => {
    const rows = [
      ["1", "Smith", "1950-03-04", null, "AB1 2CD"],
      ["2", "Smyth", "1950-04-03", "9434765919", "ab12cd"],
      ["3", "Smith", "1950-03-04", "9434765919", "AB12CD"],
      ["4", "Smith", "1950-03-04", "4010232137", "AB1 2CD"]
    ]
    const pairs = sorted(await People.likelyDuplicatePairs(read(rows, 2), passes, "2026-03-31"))
    // 2, 3 and 4 each have a valid NHS number, which tells them apart from one another
    assert.deepStrictEqual(pairs, ["1|2|false", "1|3|true", "1|4|true"])
  })
})
