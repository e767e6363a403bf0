/**
 * The likely-duplicate search, against the truth a generated estate was planted with: every fuzzy duplicate is paired
 * with the record it copies, and no pair of lookalikes (twins, namesakes in another district, a parent and child of
 * one name, a couple born on one day) is paired; every other pair it makes is between two records of one planted
 * person. And, as properties of the search alone: it holds a share of the clients at a time, and however many passes
 * it makes over the rows, in whatever order they come, it finds the same pairs.
 */
import { assert, describe, layer } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import { Counts, Pipeline, Rehearsal } from "@handover/core"
import { SwiftDefects, SwiftEstate } from "@handover/fixtures"
import { ControlSchema } from "@handover/sql"
import { People, SwiftPipeline } from "@handover/swift-to-ias"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"

const runs = Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30)

/** A client's own columns: surname, date of birth, NHS number. */
const clientArb = fc.tuple(
  fc.constantFrom("Smith", "Smyth", "Jones", "Brown", null),
  fc.constantFrom("1950-03-04", "1950-04-03", "04/03/1950", "1961-12-01", "not a date", null),
  fc.constantFrom("9434765919", "4010232137", null)
)
const postcodeArb = fc.constantFrom("AB1 2CD", "ab12cd", "EF3 4GH", null)

/**
 * Rows as the search reads them (clients joined to their addresses), in batches: a client may come once for each of
 * its addresses, with its own columns the same in each.
 */
const rowsArb = fc.tuple(
  fc.array(clientArb, { minLength: 40, maxLength: 40 }),
  fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), postcodeArb), { maxLength: 60 })
).map(([clients, rows]) =>
  rows.map(([client, postcode]) => {
    const [surname, dob, nhs] = clients[client - 1]!
    return [String(client), surname, dob, nhs, postcode] as const
  })
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

const legacySchema = "likely_legacy"
const targetSchema = "likely_target"
const controlSchema = ControlSchema.defaultSchema
const today = SwiftPipeline.defaultCutoverDate

/**
 * A fixed estate, whatever the test seed, so that the counts below are exact: 3,000 clients with the catalogue's
 * defects, fuzzy duplicates at 3% (not 0.4%) so that about a hundred are planted, and 40 pairs of lookalikes.
 */
const estate: SwiftEstate.Options = { seed: 11, clients: 3_000, rates: SwiftDefects.rates({ fuzzy_duplicate: 0.03 }), lookalikes: 40 }

/** The clients step alone, with its work afterwards (the review queue): what the search needs, and no more. */
const clientsOnly = Pipeline.make({ ...SwiftPipeline.pipeline, name: "swift-clients", steps: [People.step], afterStep: { client: People.afterStep } })

/** What a set of pairs (`earlier|later`, by client number) holds, against the planted truth. */
const against = (truth: SwiftEstate.GroundTruth, pairs: ReadonlySet<string>) => {
  const planted = truth.duplicates.filter((d) => d.kind === "fuzzy_duplicate").map((d) => `${d.original}|${d.duplicate}`)
  const plantedSet = new Set(planted)
  // a planted duplicate copies a record that is no duplicate itself: one step reaches the person
  const personOf = new Map(truth.duplicates.map((d) => [d.duplicate, d.original] as const))
  const person = (key: string) => personOf.get(key) ?? key
  const unplanted = [...pairs].filter((p) => !plantedSet.has(p))
  return {
    planted: planted.length,
    missed: planted.filter((p) => !pairs.has(p)),
    lookalikesPaired: truth.lookalikes.filter((l) => pairs.has(`${l.a}|${l.b}`) || pairs.has(`${l.b}|${l.a}`)).map((l) => `${l.kind} ${l.a}|${l.b}`),
    /** Two records of one planted person (two copies of one original, or a copy and an exact-NHS duplicate of it). */
    onePerson: unplanted.filter((p) => {
      const [a = "", b = ""] = p.split("|")
      return person(a) === person(b)
    }).length,
    /** Two records of two people: false pairs. */
    twoPeople: unplanted.filter((p) => {
      const [a = "", b = ""] = p.split("|")
      return person(a) !== person(b)
    })
  }
}

for (const dialect of TestDatabase.dialects()) {
  layer(TestDatabase.layer(dialect), { timeout: "300 seconds", excludeTestServices: true })(`likely duplicates in a generated estate on ${dialect}`, (it) => {
    it.effect("finds every planted pair, pairs no lookalikes, and every other pair is one person's records", () =>
      Effect.gen(function*() {
        const db = yield* TestDatabase.TestDatabase
        yield* TestDatabase.resetSchemas(db, [legacySchema, targetSchema, controlSchema])
        const truth = yield* SwiftEstate.loadWithTruth(db, legacySchema, estate)
        assert.deepStrictEqual(
          Object.fromEntries(["twins", "namesakes", "parent_and_child", "couple"].map((k) => [k, truth.lookalikes.filter((l) => l.kind === k).length])),
          { twins: 10, namesakes: 10, parent_and_child: 10, couple: 10 }
        )

        // the search itself, over the legacy rows
        const found = yield* db.use("find likely duplicates", (d) => People.findLikelyDuplicates(d, legacySchema, today))
        const search = against(truth, new Set(found.map((p) => `${p.a}|${p.b}`)))
        assert.strictEqual(search.planted, 103)
        assert.deepStrictEqual(search.missed, [], "planted pairs the search did not find")
        assert.deepStrictEqual(search.lookalikesPaired, [], "lookalikes the search paired")
        assert.deepStrictEqual(search.twoPeople, [], "pairs of two different people")
        // On this estate the search makes 109 pairs: the 103 planted, and 6 between two records of one person that
        // were not planted as a pair: two fuzzy duplicates of one original (5), and a fuzzy duplicate with an exact
        // (same NHS number) duplicate of its original (1). None is between two people: precision 109 of 109.
        assert.strictEqual(search.onePerson, 6)
        assert.strictEqual(found.length, 109)

        // the review queue the migration fills: the same, less pairs with a record merged by its NHS number
        const run = yield* Rehearsal.run(clientsOnly, { rehearsal: "likely", batchSize: 500, legacySchema, targetSchema, controlSchema, parameters: { cutoverDate: today } })
        for (const step of run.steps) assert.isTrue(Counts.holds(step.counts), `${step.entity}: ${Counts.format(step.counts)}`)
        const q = db.dialect.qualify({ schema: controlSchema, name: "review_item" })
        const items = yield* db.use("read the review queue", (d) =>
          d.queryText(`SELECT candidate_legacy_key, legacy_key FROM ${q} WHERE run_id = ${d.dialect.placeholder(1)} AND entity = 'client'`, [run.runId]))
        const queued = new Set(items.map(([candidate, key]) => `${candidate}|${key}`))
        const queue = against(truth, queued)
        assert.deepStrictEqual(queue.missed, [], "planted pairs not on the review queue")
        assert.deepStrictEqual(queue.lookalikesPaired, [], "lookalikes on the review queue")
        assert.deepStrictEqual(queue.twoPeople, [], "pairs of two different people on the review queue")
        // the pair with the exact duplicate is not queued: that record merged into its original
        assert.strictEqual(queue.onePerson, 5)
        assert.strictEqual(queued.size, 108)
      }))
  })
}
