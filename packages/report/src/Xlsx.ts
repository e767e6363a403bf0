/**
 * The workbook for data owners: a summary sheet, one sheet per check with filters and frozen headers, the headline
 * figures, and the issues for the supplier — findings the migration itself got wrong (rows missing, extra or
 * different, tables of the wrong shape) and those marked for the supplier to fix.
 */
import ExcelJS from "exceljs"
import type { FindingsLedger } from "@handover/reconcile"
import { Figure, Finding } from "@handover/reconcile"
import { byCheck, findingColumns, statuses } from "./Formats.ts"
import type { GateResult } from "./Gates.ts"
import type { ReportData } from "./ReportData.ts"
import * as Summary from "./Summary.ts"

const supplierKinds = new Set(["missing", "extra", "different", "structure", "count"])

/** A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique in the workbook. */
const sheetName = (name: string, taken: Set<string>): string => {
  const base = name.replace(/[[\]:*?/\\]/g, "-").slice(0, 28)
  let candidate = base
  for (let i = 2; taken.has(candidate.toLowerCase()); i++) candidate = `${base.slice(0, 26)}~${i}`
  taken.add(candidate.toLowerCase())
  return candidate
}

const table = (sheet: ExcelJS.Worksheet, header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | number | null>>) => {
  sheet.addRow([...header]).font = { bold: true }
  for (const row of rows) sheet.addRow([...row])
  sheet.views = [{ state: "frozen", ySplit: 1 }]
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: Math.max(1, rows.length + 1), column: header.length } }
  sheet.columns.forEach((c) => {
    c.width = 18
  })
}

const findingRow = (f: FindingsLedger.LedgerFinding) => findingColumns.map((c) => f[c] ?? null)

export const workbook = (data: ReportData, gates: ReadonlyArray<GateResult>): ExcelJS.Workbook => {
  const book = new ExcelJS.Workbook()
  book.creator = "Handover"
  book.created = new Date(data.generatedAt)
  const taken = new Set<string>()
  const summary = book.addWorksheet(sheetName("Summary", taken))
  summary.addRow([`Rehearsal ${data.run.rehearsal}, run ${data.run.runId}`]).font = { bold: true, size: 14 }
  summary.addRow([Summary.headline(data).text])
  summary.addRow([`Personal data: ${data.reveal}`])
  summary.addRow([])
  summary.addRow(["gate", "result", "detail"]).font = { bold: true }
  for (const g of gates) summary.addRow([g.gate, g.passed ? "passed" : "FAILED", g.detail])
  summary.addRow([])
  summary.addRow(["entity", "read", "migrated", "merged", "quarantined", "excluded", "conservation"]).font = { bold: true }
  for (const e of data.entities) summary.addRow([e.entity, e.read, e.loaded, e.merged, e.quarantined, e.excluded, e.conserved ? "holds" : "BROKEN"])
  summary.addRow([])
  summary.addRow(["check", ...statuses]).font = { bold: true }
  for (const [check, list] of byCheck(data)) {
    const counts = Finding.countByStatus(list)
    summary.addRow([check, ...statuses.map((s) => counts[s])])
  }
  summary.getColumn(1).width = 40

  const figures = book.addWorksheet(sheetName("Figures", taken))
  table(figures, ["figure", "dimension", "value", "measure", "legacy", "excluded", "explained", "expected", "target", "variance"],
    data.figures.map((l) => [l.figure, l.dimension, l.value, l.measure, ...[l.source, l.excluded, l.explained, l.expected, l.target, l.variance].map((v) => Figure.format(l.unit, v))]))

  const supplier = book.addWorksheet(sheetName("Issues for the supplier", taken))
  table(supplier, [...findingColumns, "decision"], data.findings
    .filter((f) => f.status !== "resolved" && (supplierKinds.has(f.kind) || data.decisions[f.fingerprint]?.decision === "fix_by_supplier"))
    .map((f) => [...findingRow(f), data.decisions[f.fingerprint]?.decision ?? null]))

  for (const [check, list] of byCheck(data)) {
    table(book.addWorksheet(sheetName(check, taken)), [...findingColumns], list.map(findingRow))
  }
  return book
}

/** The findings of a workbook's check sheets, read back: what a data owner's spreadsheet holds. */
export const readFindings = async (path: string): Promise<ReadonlyArray<Record<string, string | null>>> => {
  const book = new ExcelJS.Workbook()
  await book.xlsx.readFile(path)
  const out: Array<Record<string, string | null>> = []
  book.eachSheet((sheet) => {
    const header = (sheet.getRow(1).values as Array<unknown>).slice(1).map(String)
    if (header[0] !== "fingerprint" || header.includes("decision")) return
    sheet.eachRow((row, n) => {
      if (n === 1) return
      const values = (row.values as Array<unknown>).slice(1)
      out.push(Object.fromEntries(header.map((h, i) => [h, values[i] === undefined || values[i] === null ? null : String(values[i])])))
    })
  })
  return out
}
