/**
 * The uplift factors: every later year's uplift multiplied together exactly (a rate carried forward loses nothing),
 * and rounded half up when asked for fewer decimal places.
 */
import { assert, describe, it } from "@effect/vitest"
import { Decimal as DecimalModule } from "@handover/core"
import fc from "fast-check"
import * as Uplifts from "../../src/reference/Uplifts.ts"

const Wide = DecimalModule.Decimal.clone({ precision: 500 })

/** The product of the uplifts after a year, worked out one year at a time in wide decimals. */
const product = (year: number) => {
  let factor = new Wide(1)
  for (let y = Math.max(year, Uplifts.earliestYear) + 1; y <= Uplifts.latestYear; y++) factor = factor.times(new Wide(100 + (Uplifts.percent[y] ?? 2.5)).dividedBy(100))
  return factor
}

describe("the uplift factors", () => {
  it("are the exact product of every later year's uplift; 1 from the latest year on; the first year's before it", () => {
    fc.assert(fc.property(fc.integer({ min: 1990, max: 2040 }), (year) => {
      const text = Uplifts.factorText(year)
      assert.isTrue(new Wide(text).equals(product(year)), `${year}: ${text}`)
      if (year >= Uplifts.latestYear) assert.strictEqual(text, "1")
      if (year <= Uplifts.earliestYear) assert.strictEqual(text, Uplifts.factorText(Uplifts.earliestYear))
    }))
    // 2005's: twenty uplifts, three decimal places each
    assert.match(Uplifts.factorText(2005), /^\d\.\d{60}$/)
  })

  it("rounded half up to fewer decimal places when asked", () => {
    fc.assert(fc.property(fc.integer({ min: 2000, max: 2030 }), fc.integer({ min: 0, max: 70 }), (year, places) => {
      const rounded = Uplifts.factorText(year, places)
      assert.isTrue(new Wide(rounded).equals(product(year).toDecimalPlaces(places, Wide.ROUND_HALF_UP)), `${year} to ${places}: ${rounded}`)
    }))
  })

  it("carry a rate forward exactly", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 99_999_999 }), fc.integer({ min: 2000, max: 2030 }), (pence, year) => {
      const pounds = (pence / 100).toFixed(2)
      assert.isTrue(new Wide(Uplifts.inLatestTerms(pounds, year).toString()).equals(new Wide(pounds).times(product(year))))
    }))
  })
})
