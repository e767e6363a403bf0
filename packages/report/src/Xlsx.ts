/**
 * The workbook for data owners: a summary sheet, one sheet per check with filters and frozen headers, the headline
 * figures line by line, and the issues for the supplier — findings the migration itself got wrong (rows missing, extra or
 * different, tables of the wrong shape) and those marked for the supplier to fix.
 */
import ExcelJS from "exceljs"
import type { FindingsLedger } from "@handover/reconcile"
import { Figure } from "@handover/reconcile"
import { findingColumns, findingsByCheck, statuses } from "./Formats.ts"
import type { GateResult } from "./Gates.ts"
import * as ReportData from "./ReportData.ts"
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

type Row = ReadonlyArray<string | number | null>

/**
 * A sheet written row by row and committed: a bold header, frozen, with a filter over every row written. Each page's
 * rows are committed as they are added, so the workbook holds none of them in memory once written.
 */
const streamSheet = async (book: ExcelJS.stream.xlsx.WorkbookWriter, name: string, header: ReadonlyArray<string>, pages: AsyncIterable<ReadonlyArray<Row>>) => {
  const sheet = book.addWorksheet(name, { views: [{ state: "frozen", ySplit: 1 }] })
  sheet.columns = header.map(() => ({ width: 18 }))
  const top = sheet.addRow([...header])
  top.font = { bold: true }
  top.commit()
  let rows = 0
  for await (const page of pages) {
    for (const row of page) sheet.addRow([...row]).commit()
    rows += page.length
    // let the zip take what was written before the next page is read
    await new Promise((resolve) => setImmediate(resolve))
  }
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: Math.max(1, rows + 1), column: header.length } }
  await commitSheet(sheet)
}

/** Commits a sheet, and lets the zip take what was written before the next sheet starts. */
const commitSheet = async (sheet: ExcelJS.Worksheet) => {
  sheet.commit()
  await new Promise((resolve) => setImmediate(resolve))
}

const findingRow = (f: FindingsLedger.LedgerFinding) => findingColumns.map((c) => f[c] ?? null)

async function* mapPages<A, B>(pages: AsyncIterable<A>, f: (a: A) => ReadonlyArray<B>): AsyncGenerator<ReadonlyArray<B>> {
  for await (const page of pages) yield f(page)
}

/**
 * The workbook, streamed into `output` a sheet at a time and a page at a time (ExcelJS's streaming writer, no shared
 * strings): every finding and every figure line, whatever their number.
 */
export const write = async (output: NodeJS.WritableStream, data: ReportData.ReportData, gates: ReadonlyArray<GateResult>): Promise<void> => {
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output as unknown as import("node:stream").Stream, useStyles: true, useSharedStrings: false })
  book.creator = "Handover"
  book.created = new Date(data.generatedAt)
  const taken = new Set<string>()
  const summary = book.addWorksheet(sheetName("Summary", taken))
  summary.getColumn(1).width = 40
  const add = (values: ReadonlyArray<string | number | null>, bold = false) => {
    const row = summary.addRow([...values])
    if (bold) row.font = { bold: true }
    row.commit()
  }
  const title = summary.addRow([`Rehearsal ${data.run.rehearsal}, run ${data.run.runId}`])
  title.font = { bold: true, size: 14 }
  title.commit()
  add([Summary.headline(data).text])
  add([`Personal data: ${data.reveal}`])
  add([])
  add(["gate", "result", "detail"], true)
  for (const g of gates) add([g.gate, g.passed ? "passed" : "FAILED", g.detail])
  add([])
  add(["entity", "read", "migrated", "merged", "quarantined", "excluded", "conservation"], true)
  for (const e of data.entities) add([e.entity, e.read, e.loaded, e.merged, e.quarantined, e.excluded, e.conserved ? "holds" : "BROKEN"])
  add([])
  add(["check", ...statuses], true)
  for (const { check, byStatus } of ReportData.checks(data)) add([check, ...statuses.map((s) => byStatus[s])])
  await commitSheet(summary)

  await streamSheet(
    book,
    sheetName("Figures", taken),
    ["figure", "dimension", "value", "measure", "legacy", "excluded", "explained", "expected", "target", "variance"],
    mapPages(data.pages.figures(), (page) =>
      page.map((l) => [l.figure, l.dimension, l.value, l.measure, ...[l.source, l.excluded, l.explained, l.expected, l.target, l.variance].map((v) => Figure.format(l.unit, v))]))
  )

  await streamSheet(
    book,
    sheetName("Issues for the supplier", taken),
    [...findingColumns, "decision"],
    mapPages(findingsByCheck(data, { statuses: statuses.filter((s) => s !== "resolved") }), (page) =>
      page.findings
        .filter((f) => supplierKinds.has(f.kind) || page.decisions.get(f.fingerprint)?.decision === "fix_by_supplier")
        .map((f) => [...findingRow(f), page.decisions.get(f.fingerprint)?.decision ?? null]))
  )

  for (const { check } of ReportData.checks(data)) {
    await streamSheet(book, sheetName(check, taken), [...findingColumns], mapPages(data.pages.findings({ checks: [check] }), (page) => page.findings.map(findingRow)))
  }
  await book.commit()
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
