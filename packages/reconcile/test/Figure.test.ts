import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as Figure from "../src/Figure.ts"
import * as Oracle from "./FigureOracle.ts"

const runs = Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30) * 5

const figure: Figure.Figure = {
  id: "figure.test",
  description: "A test figure",
  entity: "line",
  dimensions: ["provider"],
  measures: [{ name: "cost", unit: "pence" }, { name: "people", unit: "distinct" }],
  legacy: async function*() {},
  target: async function*() {}
}

type Outcome = "loaded" | "flagged" | "quarantined" | "merged"

const legacyRow = fc.record({
  provider: fc.constantFrom("a", "b", "c"),
  pence: fc.integer({ min: -100_000, max: 100_000 }),
  person: fc.constantFrom("p1", "p2", "p3", "p4", "p5", "p6"),
  outcome: fc.constantFrom<Outcome>("loaded", "loaded", "loaded", "flagged", "quarantined", "merged"),
  // what the migration made of a flagged row: another provider and cost, or nothing in the figure
  flaggedTo: fc.option(fc.record({ provider: fc.constantFrom("a", "b", "c"), pence: fc.integer({ min: 0, max: 100_000 }) })),
  // a change made to the target after the load, on an unflagged row
  change: fc.option(fc.integer({ min: -5_000, max: 5_000 }).filter((n) => n !== 0), { freq: 4 })
})

const extraRow = fc.record({ provider: fc.constantFrom("a", "b", "c"), pence: fc.integer({ min: 1, max: 10_000 }) })

const scenario = fc.record({ rows: fc.array(legacyRow, { maxLength: 40 }), extras: fc.array(extraRow, { maxLength: 3 }) })

type Scenario = typeof scenario extends fc.Arbitrary<infer A> ? A : never

const build = ({ extras, rows }: Scenario) => {
  const xref = new Map<string, string>()
  const merged = new Set<string>()
  const out = new Set<string>()
  const flagged = new Map<string, string>()
  const legacy: Array<Figure.Part> = []
  const target: Array<Figure.Part> = []
  // the unexplained variance each provider should show: changes to unflagged rows and rows with no legacy origin
  const variance = new Map<string, number>([["all", 0], ["a", 0], ["b", 0], ["c", 0]])
  const changedRows = new Map<string, Array<string>>([["all", []], ["a", []], ["b", []], ["c", []]])
  rows.forEach((row, i) => {
    const key = `L${i}`
    const targetKey = `T${i}`
    legacy.push({ key, dimensions: [row.provider], values: [row.pence, row.person] })
    if (row.outcome === "quarantined") return out.add(key)
    if (row.outcome === "merged") return merged.add(key)
    xref.set(key, targetKey)
    if (row.outcome === "flagged") {
      flagged.set(key, "RULE-01")
      if (row.flaggedTo !== null) target.push({ key: targetKey, dimensions: [row.flaggedTo.provider], values: [row.flaggedTo.pence, row.person] })
      return
    }
    const pence = row.pence + (row.change ?? 0)
    target.push({ key: targetKey, dimensions: [row.provider], values: [pence, row.person] })
    if (row.change !== null) {
      for (const d of ["all", row.provider]) {
        variance.set(d, variance.get(d)! + row.change)
        changedRows.get(d)!.push(`${key} → ${targetKey}`)
      }
    }
  })
  extras.forEach((extra, i) => {
    target.push({ key: `X${i}`, dimensions: [extra.provider], values: [extra.pence, null] })
    for (const d of ["all", extra.provider]) {
      variance.set(d, variance.get(d)! + extra.pence)
      changedRows.get(d)!.push(`no legacy row → X${i}`)
    }
  })
  return { record: { xref, merged, out, flagged }, legacy, target, variance, changedRows }
}

describe("headline figures", () => {
  it("each line closes: source less excluded plus explained is expected, and target less expected is the variance", () =>
    fc.assert(
      fc.property(scenario, (s) => {
        const { legacy, record, target, variance } = build(s)
        const { lines } = Oracle.compare(figure, record, legacy, target)
        for (const line of lines.filter((l) => l.unit === "pence")) {
          expect(line.source - line.excluded + line.explained).toBe(line.expected)
          expect(line.target - line.expected).toBe(line.variance)
          // the variance is exactly what was changed after the load, per provider and in total
          expect(line.variance).toBe(variance.get(line.value) ?? 0)
        }
      }),
      { numRuns: runs }
    ))

  it("reports a finding exactly where money moved unexplained, naming the rows behind it", () =>
    fc.assert(
      fc.property(scenario, (s) => {
        const { changedRows, legacy, record, target, variance } = build(s)
        const { findings } = Oracle.compare(figure, record, legacy, target)
        const money = findings.filter((f) => f.kind === "money")
        const expected = [...variance].filter(([, v]) => v !== 0).map(([d]) => d).sort()
        expect(money.map((f) => f.field!.split(": ")[1]).sort()).toEqual(expected)
        for (const f of money) {
          const dimension = f.field!.split(": ")[1]!
          for (const row of changedRows.get(dimension)!.slice(0, 5)) expect(f.message).toContain(row)
          expect(f.message).toContain(`${Figure.format("pence", variance.get(dimension)!)} unexplained`)
        }
      }),
      { numRuns: runs }
    ))

  it("counts people once, and an untouched migration reports nothing", () =>
    fc.assert(
      fc.property(scenario, (s) => {
        const untouched = build({ rows: s.rows.map((r) => ({ ...r, change: null })), extras: [] })
        const { findings, lines } = Oracle.compare(figure, untouched.record, untouched.legacy, untouched.target)
        expect(findings).toEqual([])
        const people = lines.find((l) => l.measure === "people" && l.dimension === "all")
        if (people !== undefined) {
          const persons = new Set(untouched.target.map((p) => p.values[1]).filter((v) => v !== null))
          expect(people.target).toBe(persons.size)
        }
      }),
      { numRuns: runs }
    ))

  it("formats money and hours the way people read them", () => {
    expect(Figure.format("pence", 123456789)).toBe("£1,234,567.89")
    expect(Figure.format("pence", -5)).toBe("-£0.05")
    expect(Figure.format("hundredths", 1450)).toBe("14.50")
    expect(Figure.format("count", 7)).toBe("7")
  })
})
