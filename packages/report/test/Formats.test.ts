import { describe, expect, it } from "@effect/vitest"
import { mkdtemp, readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { Formats, Gates, Masking, ReportData, Reports, Xlsx } from "../src/index.ts"
import { reportData, unmasked } from "./SampleReport.ts"

const people = [
  { first: "Ada", last: "Lovelace", nhs: "9434765919", dob: "1946-02-11" },
  { first: "Grace", last: "Hopper", nhs: "4010232137", dob: "1936-12-09" }
]

describe("report formats", () => {
  it("the workbook reads back with the same findings as the JSON", async () => {
    const data = reportData(people, Masking.make("masked"))
    const directory = await mkdtemp(path.join(tmpdir(), "handover-xlsx-"))
    await Reports.write(directory, data, Gates.evaluate(data), { owners: [] })
    const json = JSON.parse(await readFile(path.join(directory, "report.json"), "utf8")) as { findings: ReadonlyArray<Record<string, unknown>> }
    // the reconciliation's findings on the sheets of their checks; the worklists' items on the worklists' sheets
    const reconciliation = json.findings.filter((f) => !String(f.check).startsWith("migration."))
    const fromJson = reconciliation.map((f) => Object.fromEntries(Formats.findingColumns.map((c) => [c, f[c] === null || f[c] === undefined ? null : String(f[c])])))
    const fromWorkbook = await Xlsx.readFindings(path.join(directory, "report.xlsx"))
    const key = (f: Record<string, unknown>) => `${f.fingerprint}`
    expect([...fromWorkbook].sort((a, b) => key(a).localeCompare(key(b)))).toEqual([...fromJson].sort((a, b) => key(a).localeCompare(key(b))))
    expect(fromWorkbook.length + json.findings.length - reconciliation.length).toBe(ReportData.count(data))
    expect(json.findings.length - reconciliation.length).toBe(5 * people.length)
  })

  it("JUnit has a test case per check, failing where errors stand, and one per gate", async () => {
    const data = reportData(people, Masking.make("masked"))
    const xml = await Formats.junit(data, Gates.evaluate(data))
    expect(xml).toContain(`<testcase classname="reconciliation" name="record"><failure`)
    // the only findings of rule.example are accepted warnings: it passes
    expect(xml).toContain(`<testcase classname="reconciliation" name="rule.example"></testcase>`)
    expect(xml).toContain(`<testcase classname="gates" name="new-errors"><failure`)
    expect(xml).toContain(`<testcase classname="gates" name="conservation"></testcase>`)
  })

  it("gates: new errors and money variances fail, accepted findings do not", () => {
    const data = reportData(people, Masking.make("masked"))
    const results = Object.fromEntries(Gates.evaluate(data).map((g) => [g.gate, g.passed]))
    expect(results).toEqual({ conservation: true, "new-errors": false, money: true })
    const whole = unmasked(people)
    const withMoney = {
      ...whole,
      findings: [...whole.findings, { ...whole.findings[0]!, check: "figure.weekly-commitment", kind: "money" as const, field: "gross weekly cost by provider: 12", status: "open" as const, fingerprint: "m" }]
    }
    const masked = (d: ReportData.Unmasked) => ReportData.mask(d, Masking.make("masked"))
    expect(Gates.evaluate(masked(withMoney)).find((g) => g.gate === "money")!.passed).toBe(false)
    expect(Gates.evaluate(masked(withMoney), { ...Gates.defaults, moneyVariancePence: 1 }).find((g) => g.gate === "money")!.passed).toBe(true)
    const accepted = { ...withMoney, findings: withMoney.findings.map((f) => ({ ...f, status: f.status === "open" || f.status === "new" ? "accepted" as const : f.status })) }
    expect(Gates.evaluate(masked(accepted)).every((g) => g.passed)).toBe(true)
    const broken = { ...data, entities: [{ ...data.entities[0]!, loaded: 89, conserved: false }] }
    expect(Gates.evaluate(broken).find((g) => g.gate === "conservation")!.passed).toBe(false)
  })

  it("the Markdown summary says whether the rehearsal is better than the last", () => {
    const md = Formats.markdown(reportData(people, Masking.make("masked")), [])
    expect(md).toContain("Better than the last rehearsal")
    expect(md).toContain("| record |")
  })
})
