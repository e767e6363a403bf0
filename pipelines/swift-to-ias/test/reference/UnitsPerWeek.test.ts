/**
 * The DHSC cost-frequency conversion and the weekly cost of a service line, exact to the penny.
 */
import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as CodeMaps from "../../src/reference/CodeMaps.ts"
import * as UnitsPerWeek from "../../src/reference/UnitsPerWeek.ts"

const weekly = (rate: number, basis: string, units?: string | number | null) => {
  const cost = UnitsPerWeek.weeklyCostPence(rate, basis, units)
  if (cost._tag !== "Weekly") assert.fail(`${basis}: ${cost._tag}`)
  return cost.pence
}

/** `a / b` rounded half up, for non-negative integers, without floating point. */
const halfUp = (a: bigint, b: bigint): bigint => (2n * a + b) / (2n * b)

describe("UnitsPerWeek", () => {
  it("fixes the units per week of the frequencies of a week or longer, from the DHSC factors", () => {
    const factors = Object.fromEntries(
      ["WEEK", "FORTNIGHT", "4WEEK", "MONTH", "QUARTER", "ANNUAL"].map((basis) => {
        const f = UnitsPerWeek.frequencyOf(basis)
        return [basis, f?._tag === "Fixed" ? `${f.numerator}/${f.denominator}` : f?._tag]
      })
    )
    assert.deepStrictEqual(factors, {
      WEEK: "1/1",
      FORTNIGHT: "1/2",
      "4WEEK": "1/4",
      MONTH: "12/52",
      QUARTER: "4/52",
      ANNUAL: "1/52"
    })
    for (const basis of ["HOUR", "DAY", "SESSION", "NIGHT", "JOURNEY"]) {
      assert.deepStrictEqual(UnitsPerWeek.frequencyOf(basis), { _tag: "Planned" }, basis)
    }
    assert.deepStrictEqual(UnitsPerWeek.frequencyOf("ONEOFF"), { _tag: "OneOff" })
    assert.isUndefined(UnitsPerWeek.frequencyOf("YEARLY"))
  })

  it("reads CLD frequency labels as DHSC does: a case-insensitive prefix, one-off by equality", () => {
    assert.strictEqual(UnitsPerWeek.frequencyOfLabel("Weekly")._tag, "Fixed")
    assert.strictEqual(UnitsPerWeek.frequencyOfLabel("WEEKLY (gross)")._tag, "Fixed")
    assert.strictEqual(UnitsPerWeek.frequencyOfLabel("4-weekly")._tag, "Fixed")
    assert.strictEqual(UnitsPerWeek.frequencyOfLabel("Hourly")._tag, "Planned")
    assert.strictEqual(UnitsPerWeek.frequencyOfLabel("Per session")._tag, "Planned")
    assert.strictEqual(UnitsPerWeek.frequencyOfLabel("One-off")._tag, "OneOff")
    assert.strictEqual(UnitsPerWeek.frequencyOfLabel("one-off payment")._tag, "Planned")
  })

  it("agrees with the code map: each legacy basis means what its CLD frequency means to DHSC", () => {
    for (const basis of CodeMaps.legacyValues("cost_frequency_unit_type")) {
      const label = CodeMaps.lookup("cost_frequency_unit_type", basis)
      assert.strictEqual(label._tag, "Mapped")
      if (label._tag === "Mapped") {
        assert.deepStrictEqual(UnitsPerWeek.frequencyOf(basis), UnitsPerWeek.frequencyOfLabel(label.code), basis)
      }
    }
  })

  it("costs a week of care to the penny", () => {
    assert.strictEqual(weekly(2140, "HOUR", "14.5"), 31030)
    assert.strictEqual(weekly(2140, "HOUR", 14.5), 31030)
    assert.strictEqual(weekly(85000, "WEEK"), 85000)
    // the frequency overrides the planned units
    assert.strictEqual(weekly(85000, "WEEK", "3"), 85000)
    assert.strictEqual(weekly(100001, "FORTNIGHT"), 50001) // 50000.5 rounds up
    assert.strictEqual(weekly(10000, "MONTH"), 2308) // 2307.69...
    assert.strictEqual(weekly(52000, "MONTH"), 12000)
    assert.strictEqual(weekly(52000, "ANNUAL"), 1000)
    assert.strictEqual(weekly(13000, "QUARTER"), 1000)
    assert.strictEqual(weekly(3, "SESSION", "0.5"), 2) // 1.5 rounds up
    assert.strictEqual(weekly(1, "NIGHT", "0.49"), 0)
    assert.strictEqual(weekly(4500, " day ", "7"), 31500)
    // 0.1 + 0.2 style traps: 3 × £0.10 is 30p, not 30.000000000000004
    assert.strictEqual(weekly(10, "HOUR", 3), 30)
  })

  it("says why it gives no weekly cost", () => {
    assert.deepStrictEqual(UnitsPerWeek.weeklyCostPence(5000, "ONEOFF"), { _tag: "OneOff" })
    assert.strictEqual(UnitsPerWeek.weeklyCostPence(2140, "HOUR")._tag, "NoUnits")
    assert.strictEqual(UnitsPerWeek.weeklyCostPence(2140, "HOUR", "ten")._tag, "NoUnits")
    assert.strictEqual(UnitsPerWeek.weeklyCostPence(2140, "HOUR", Number.NaN)._tag, "NoUnits")
    assert.deepStrictEqual(UnitsPerWeek.weeklyCostPence(2140, "YEARLY", "1"), { _tag: "UnknownBasis", basis: "YEARLY" })
    assert.throws(() => UnitsPerWeek.weeklyCostPence(21.4, "HOUR", "1"))
  })

  it("rounds a negative cost half away from zero, the mirror of the positive one", () => {
    assert.strictEqual(weekly(-3, "SESSION", "0.5"), -2)
    assert.strictEqual(weekly(3, "SESSION", "-0.5"), -2)
  })

  test.prop([fc.integer({ min: 0, max: 100_000_000 }), fc.integer({ min: 0, max: 1_000_000 })])(
    "planned units: the exact rational cost rounded half up, for integer pence and units with two decimals",
    (rate, hundredths) => {
      const units = `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, "0")}`
      const expected = halfUp(BigInt(rate) * BigInt(hundredths), 100n)
      assert.strictEqual(BigInt(weekly(rate, "HOUR", units)), expected)
      assert.strictEqual(BigInt(weekly(rate, "HOUR", hundredths / 100)), expected)
    }
  )

  test.prop([
    fc.integer({ min: 0, max: 100_000_000 }),
    fc.constantFrom(
      ["WEEK", 1n, 1n] as const,
      ["FORTNIGHT", 1n, 2n] as const,
      ["4WEEK", 1n, 4n] as const,
      ["MONTH", 12n, 52n] as const,
      ["QUARTER", 4n, 52n] as const,
      ["ANNUAL", 1n, 52n] as const
    )
  ])("fixed frequencies: the exact rational cost rounded half up", (rate, [basis, numerator, denominator]) => {
    assert.strictEqual(BigInt(weekly(rate, basis)), halfUp(BigInt(rate) * numerator, denominator))
  })

  test.prop([fc.integer({ min: -100_000_000, max: 100_000_000 }), fc.bigInt({ min: -(10n ** 7n), max: 10n ** 7n }), fc.integer({ min: 0, max: 6 })])(
    "planned units of any sign and up to six decimals: the exact rational cost, rounded half away from zero",
    (rate, scaled, decimals) => {
      const magnitude = (scaled < 0n ? -scaled : scaled).toString().padStart(decimals + 1, "0")
      const units = `${scaled < 0n ? "-" : ""}${decimals === 0 ? magnitude : `${magnitude.slice(0, -decimals)}.${magnitude.slice(-decimals)}`}`
      const product = BigInt(rate) * scaled
      const rounded = halfUp(product < 0n ? -product : product, 10n ** BigInt(decimals))
      assert.strictEqual(BigInt(weekly(rate, "HOUR", units)), product < 0n ? -rounded : rounded, units)
    }
  )
})
