/**
 * The arbitraries the properties share reach the sizes they declare: sampled here under the same settings every test
 * worker runs with (`Properties.ts`), so that a change which shrinks them again (fast-check's default sizes draw arrays
 * of about ten items whatever their declared maximum) fails here rather than silently weakening every property.
 */
import { assert, describe, it } from "@effect/vitest"
import { Arbitraries, Properties } from "@handover/testkit"
import fc from "fast-check"

const stats = (values: ReadonlyArray<number>) => ({
  min: Math.min(...values),
  max: Math.max(...values),
  mean: values.reduce((a, b) => a + b, 0) / values.length
})

describe("the sizes properties run at", () => {
  it("are the settings of every worker: seeded, and sized up to each arbitrary's declared maximum", () => {
    const global = fc.readConfigureGlobal()
    assert.strictEqual(global.defaultSizeToMaxWhenMaxSpecified, true)
    assert.strictEqual(global.seed, Properties.settings().seed)
  })

  it("reach an array's declared maximum", () => {
    const lengths = fc.sample(fc.array(fc.nat(), { maxLength: 80 }), { numRuns: 300 }).map((a) => a.length)
    const s = stats(lengths)
    assert.isAtLeast(s.max, 72, JSON.stringify(s))
    assert.isAtLeast(s.mean, 20, JSON.stringify(s))
  })

  it("give example estates of up to 60 clients and 80 care packages, not a handful", () => {
    const estates = fc.sample(Arbitraries.exampleRows(), { numRuns: 200 })
    const clients = stats(estates.map((e) => e.clients.length))
    const packages = stats(estates.map((e) => e.carePackages.length))
    console.log(`example estates sampled: clients ${JSON.stringify(clients)}, care packages ${JSON.stringify(packages)}`)
    assert.strictEqual(clients.min, 1)
    assert.isAtLeast(clients.max, 54, `clients ${JSON.stringify(clients)}`)
    assert.isAtLeast(clients.mean, 15, `clients ${JSON.stringify(clients)}`)
    assert.isAtLeast(packages.max, 72, `care packages ${JSON.stringify(packages)}`)
    assert.isAtLeast(packages.mean, 20, `care packages ${JSON.stringify(packages)}`)
    // estates big enough to cross the batch boundaries the properties use (batches of 1 to 7 rows)
    assert.isAtLeast(estates.filter((e) => e.clients.length > 14).length, estates.length / 4)
  })

  it("give awkward text up to its declared length", () => {
    const lengths = fc.sample(Arbitraries.awkwardText(30), { numRuns: 300 }).map((t) => [...t].length)
    assert.isAtLeast(Math.max(...lengths), 27)
  })
})
