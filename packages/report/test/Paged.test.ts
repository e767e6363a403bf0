/**
 * The paged writers against the whole-list ones: whatever the page size, every report file says what the
 * formatters that held every finding and figure line in arrays said (`Oracle.ts`); and a run with more findings than
 * the HTML report lists says so, while the workbook and the CSV files hold them all.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { mkdtemp, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { Finding } from "@handover/reconcile"
import { Formats, Gates, Html, Masking, ReportData, Reports, Sink, Summary, Worklists, Xlsx } from "../src/index.ts"
import * as Estate from "./Estate.ts"
import * as Oracle from "./Oracle.ts"
import { findingsAbout, unmasked as sample } from "./SampleReport.ts"

const runs = Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30)

const owners = [
  { name: "People", entities: ["client", "address"], figures: ["figure.people"] },
  { name: "Care packages", entities: ["care package"], figures: ["figure.weekly-commitment"] }
]

const reveal = fc.constantFrom<Masking.Reveal>("masked", "pseudonymised", "full")
const masker = (r: Masking.Reveal) => Masking.make(r, "a key of sixteen or more characters")

/** The data the page script of an HTML report holds. */
export const payload = (html: string) =>
  JSON.parse(/<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html)![1]!) as {
    readonly findings: Record<string, { readonly rows: ReadonlyArray<Record<string, unknown>>; readonly total: number }>
    readonly figures: { readonly rows: ReadonlyArray<Record<string, unknown>>; readonly total: number }
  }

/** Rows of cell texts with the empty cells at their ends dropped. */
const trimmed = (rows: ReadonlyArray<ReadonlyArray<string>>) =>
  rows.map((r) => {
    let end = r.length
    while (end > 0 && r[end - 1] === "") end--
    return r.slice(0, end)
  })

const gateConfig = fc.record({
  failOnNewErrors: fc.boolean(),
  moneyVariancePence: fc.nat({ max: 20_000_000 }),
  conservation: fc.boolean(),
  maxFindings: fc.dictionary(fc.constantFrom("record", "count", "rule.example", "absent"), fc.nat({ max: 10 }))
})

describe("the paged writers", () => {
  it("give what the whole-list formatters gave, for any page size", async () => {
    await fc.assert(
      fc.asyncProperty(Estate.unmasked, reveal, fc.integer({ min: 1, max: 7 }), gateConfig, async (whole, level, pageSize, config) => {
        const m = masker(level)
        const data = ReportData.mask(whole, m, { pageSize })
        const oracle = Oracle.mask(whole, m)
        const gates = Gates.evaluate(data, config)
        expect(gates).toEqual(Oracle.evaluate(oracle, config))
        expect(Formats.markdown(data, gates)).toBe(Oracle.markdown(oracle, gates))
        expect(await Formats.junit(data, gates)).toBe(Oracle.junit(oracle, gates))
        for (const owner of owners) expect(Summary.ownerSection(data, owner)).toEqual(Oracle.ownerSection(oracle, owner))

        for (const [check, list] of Oracle.byCheck(oracle)) {
          expect(await Sink.toText((s) => Formats.writeFindingsCsv(s, data.pages.findings({ checks: [check] })))).toBe(Oracle.findingsCsv(list))
        }
        expect(await Sink.toText((s) => Formats.writeFiguresCsv(s, data))).toBe(Oracle.figuresCsv({ ...oracle, figures: [...oracle.figures].sort(lineOrder) }))

        const json = JSON.parse(await Sink.toText((s) => Formats.writeJson(s, data, gates)))
        expect(json.findings).toEqual(JSON.parse(JSON.stringify(Oracle.byCheck(oracle).flatMap(([, list]) => list))))
        expect(json.figures).toEqual(JSON.parse(JSON.stringify([...oracle.figures].sort(lineOrder))))
        expect(json.decisions).toEqual(oracle.decisions)
        expect(json.headline).toEqual(Oracle.headline(oracle))
        expect(json.gates).toEqual(gates)
        for (const k of ["generatedAt", "reveal", "run", "previousRunId", "entities", "trend"] as const) expect(json[k]).toEqual(JSON.parse(JSON.stringify(oracle[k])))

        // the reasons: the largest groups of each entity and outcome, and the rest counted
        for (const entity of ["client", "address"]) {
          for (const outcome of ["quarantined", "excluded", "flagged"] as const) {
            const all = oracle.reasons.filter((r) => r.entity === entity && r.outcome === outcome)
            const kept = (json.reasons as ReadonlyArray<ReportData.Reason>).filter((r) => r.entity === entity && r.outcome === outcome)
            const rest = (json.reasonsLeftOut as ReadonlyArray<ReportData.ReasonsLeftOut>).find((r) => r.entity === entity && r.outcome === outcome)
            expect(kept).toEqual(all.slice(0, ReportData.reasonGroups))
            expect(rest?.groups ?? 0).toBe(Math.max(0, all.length - ReportData.reasonGroups))
            expect(rest?.rows ?? 0).toBe(all.slice(ReportData.reasonGroups).reduce((n, r) => n + r.rows, 0))
          }
        }

        // the HTML report holds the first findings of each check and the first figure lines, and knows how many there are
        const shown = { findingsShown: 1 + (pageSize % 4), figureLinesShown: 2 + pageSize }
        const html = await Html.render(data, gates, { owners, ...shown })
        const held = payload(html)
        for (const [check, list] of Oracle.byCheck(oracle)) {
          expect(held.findings[check]!.total).toBe(list.length)
          expect(held.findings[check]!.rows).toEqual(JSON.parse(JSON.stringify(list.slice(0, shown.findingsShown))))
          expect(html.includes(`showing ${shown.findingsShown} of ${list.length.toLocaleString("en-GB")} findings`)).toBe(list.length > shown.findingsShown)
        }
        expect(held.figures.total).toBe(oracle.figures.length)
        expect(held.figures.rows.map((r) => `${r.figure}|${r.dimension}|${r.value}|${r.measure}`))
          .toEqual([...oracle.figures].sort(lineOrder).slice(0, shown.figureLinesShown).map((l) => `${l.figure}|${l.dimension}|${l.value}|${l.measure}`))
      }),
      { numRuns: runs }
    )
  })

  it("stream the workbook with every sheet the whole-list workbook had", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "handover-paged-xlsx-"))
    try {
      await fc.assert(
        fc.asyncProperty(Estate.unmasked, reveal, fc.integer({ min: 1, max: 7 }), async (whole, level, pageSize) => {
          const m = masker(level)
          const data = ReportData.mask(whole, m, { pageSize })
          const file = path.join(folder, "report.xlsx")
          await Sink.toStream(file, (stream) => Xlsx.write(stream, data, Gates.evaluate(data)))
          const sheets = await Oracle.readSheets(file)
          const expected = Oracle.workbookSheets({ ...Oracle.mask(whole, m), figures: [...whole.figures].sort(lineOrder).map(ReportData.maskLine(m)) })
          // ExcelJS reads a text cell's entities twice (`&amp;amp;` written, `&` read back): the file holds the text as it was
          for (const [name, rows] of Object.entries(expected)) expect(trimmed(sheets[name] ?? [])).toEqual(trimmed(rows.map((r) => r.map(readTwice))))
          expect(Object.keys(sheets).sort()).toEqual(["Summary", ...Object.keys(expected)].sort())
        }),
        { numRuns: Math.max(5, Math.floor(runs / 3)) }
      )
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  })

  it("a run with more findings than the HTML lists: the list says it is partial, the workbook and CSV files hold all", async () => {
    const people = Array.from({ length: 260 }, (_, i) => ({ first: `Name${i}`, last: "Smith", nhs: "9434765919", dob: "1946-02-11" }))
    const base = sample(people.slice(0, 2))
    const findings = findingsAbout(people)
    const figures = Array.from({ length: Html.figureLinesShown + 7 }, (_, i) => ({ ...base.figures[1]!, value: String(100_000 + i) }))
    const data = ReportData.mask({ ...base, findings, figures }, Masking.make("masked"), { pageSize: 97 })
    const records = findings.filter((f) => f.check === "record").length
    expect(records).toBeGreaterThan(Html.findingsShown)
    const directory = await mkdtemp(path.join(tmpdir(), "handover-partial-"))
    try {
      await Reports.write(directory, data, Gates.evaluate(data), { owners: [] })
      const html = await readFile(path.join(directory, "report.html"), "utf8")
      expect(html).toContain(`showing ${Html.findingsShown} of ${records} findings — the workbook and CSV files hold all`)
      expect(html).toContain(`showing ${Html.figureLinesShown.toLocaleString("en-GB")} of ${figures.length.toLocaleString("en-GB")} figure lines — the workbook and CSV files hold all`)
      // the check with fewer findings than the list holds is whole, and says nothing of the kind
      const rule = findings.filter((f) => f.check === "rule.example").length
      expect(rule).toBeLessThan(Html.findingsShown)
      expect(html).not.toContain(`of ${rule} findings — the workbook`)
      const held = payload(html)
      expect(held.findings.record!.rows.length).toBe(Html.findingsShown)
      expect(held.findings.record!.total).toBe(records)
      expect(held.figures.rows.length).toBe(Html.figureLinesShown)

      // the reconciliation's findings on the sheets of their checks, the worklists' items on the worklists' sheets
      const reconciliation = findings.filter((f) => !Finding.isWorklistItem(f))
      const workbook = await Xlsx.readFindings(path.join(directory, "report.xlsx"))
      expect(workbook.length).toBe(reconciliation.length)
      expect(new Set(workbook.map((f) => f.fingerprint))).toEqual(new Set(reconciliation.map((f) => f.fingerprint)))
      const all = await Oracle.readSheets(path.join(directory, "report.xlsx"))
      for (const worklist of Worklists.worklists) {
        const items = findings.filter((f) => f.check === worklist.check)
        expect(all[worklist.title]!.slice(1).map((r) => r[0])).toEqual(items.map((f) => f.fingerprint).sort())
        const csvRows = (await readFile(path.join(directory, "csv", `worklist-${worklist.id}.csv`), "utf8")).trimEnd().split("\n")
        expect(csvRows.length).toBe(items.length + 1)
      }
      const csv = await readFile(path.join(directory, "csv", "findings-record.csv"), "utf8")
      expect(csv.trimEnd().split("\n").length).toBe(records + 1)
      const figuresCsv = await readFile(path.join(directory, "csv", "figures.csv"), "utf8")
      expect(figuresCsv.trimEnd().split("\n").length).toBe(figures.length + 1)
      const sheets = await Oracle.readSheets(path.join(directory, "report.xlsx"))
      expect(sheets.Figures!.length).toBe(figures.length + 1)
      const json = JSON.parse(await readFile(path.join(directory, "report.json"), "utf8"))
      expect(json.findings.length).toBe(findings.length)
      expect(json.figures.length).toBe(figures.length)
    } finally {
      await rm(directory, { recursive: true, force: true })
    }
  })
})

const readTwice = (text: string) =>
  text.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'" } as Record<string, string>)[e]!)

const lineOrder = (a: { figure: string; dimension: string; value: string; measure: string }, b: typeof a) => {
  const key = (l: typeof a) => [l.figure, l.dimension, l.value, l.measure]
  const [x, y] = [key(a), key(b)]
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1
  return 0
}
