/**
 * The workbook for data owners: a summary sheet, the headline figures line by line (amounts as numbers, money in
 * pounds), the issues for the supplier — findings the migration itself got wrong (rows missing, extra or different,
 * tables of the wrong shape) and those marked for the supplier to fix — the worklists (rows to fix at source, rows to
 * check, code values to map, possible duplicates), each with a drop-down list of its decisions, and one sheet per
 * check of the reconciliation, every sheet with filters and a frozen header.
 */
import ExcelJS from "exceljs"
import { Arrays } from "@handover/sql"
import type { FindingsLedger } from "@handover/reconcile"
import { Figure, Verify } from "@handover/reconcile"
import { findingColumns, findingsByCheck, statuses } from "./Formats.ts"
import type { GateResult } from "./Gates.ts"
import * as ReportData from "./ReportData.ts"
import * as Summary from "./Summary.ts"
import * as Worklists from "./Worklists.ts"

const supplierKinds = new Set(["missing", "extra", "different", "structure", "count"])

/** A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique in the workbook. */
const sheetName = (name: string, taken: Set<string>): string => {
  const base = name.replace(/[[\]:*?/\\]/g, "-").slice(0, 28)
  let candidate = base
  for (let i = 2; taken.has(candidate.toLowerCase()); i++) candidate = `${base.slice(0, 26)}~${i}`
  taken.add(candidate.toLowerCase())
  return candidate
}

/** A cell with a number format of its own: money, say, in a column that holds counts too. */
interface Formatted {
  readonly value: number | Date
  readonly numFmt: string
}

type Cell = string | number | Date | null | Formatted

type Row = ReadonlyArray<Cell>

const isFormatted = (c: Cell): c is Formatted => c !== null && typeof c === "object" && !(c instanceof Date)

/** The number format of money: pounds and pence, with a pound sign. */
export const moneyFormat = '"£"#,##0.00;-"£"#,##0.00'

/** The number format of dates: ISO 8601, as every other report file writes them. */
export const dateFormat = "yyyy-mm-dd"

/** A column's letters from its number (1 is `A`). */
const columnLetters = (n: number): string => (n <= 26 ? String.fromCharCode(64 + n) : columnLetters(Math.floor((n - 1) / 26)) + columnLetters(((n - 1) % 26) + 1))

/**
 * A sheet's data validations: the streaming writer has them (written when the sheet is committed), though exceljs's
 * types leave them out. One validation a range, so that a column of any length costs one entry.
 */
const validations = (sheet: ExcelJS.Worksheet) =>
  (sheet as unknown as { readonly dataValidations: { readonly add: (range: string, validation: ExcelJS.DataValidation) => void } }).dataValidations

interface SheetOptions {
  /** Columns of days, by header: their `yyyy-mm-dd` texts written as date cells, formatted as days. */
  readonly dates?: ReadonlyArray<string>
  /** Drop-down lists of the values a person may pick in a column, by header. */
  readonly lists?: Readonly<Record<string, ReadonlyArray<string>>>
  /** A drop-down list of each row's own in a column: the range of another sheet that holds the row's values, if any. */
  readonly rowList?: { readonly header: string; readonly rangeOf: (row: Row) => string | undefined }
}

/**
 * A sheet written row by row and committed: a bold header, frozen, with a filter over every row written, and columns
 * formatted and validated as asked. Each page's rows are committed as they are added, so the workbook holds none of
 * them in memory once written.
 */
const streamSheet = async (
  book: ExcelJS.stream.xlsx.WorkbookWriter,
  name: string,
  header: ReadonlyArray<string>,
  pages: AsyncIterable<ReadonlyArray<Row>>,
  options: SheetOptions = {}
) => {
  const sheet = book.addWorksheet(name, { views: [{ state: "frozen", ySplit: 1 }] })
  sheet.columns = header.map((h) => ({ width: 18, ...(options.dates?.includes(h) === true ? { style: { numFmt: dateFormat } } : {}) }))
  const dateColumns = (options.dates ?? []).map((h) => header.indexOf(h)).filter((i) => i >= 0)
  const top = sheet.addRow([...header])
  top.font = { bold: true }
  top.commit()
  let rows = 0
  const rowListColumn = options.rowList === undefined ? -1 : header.indexOf(options.rowList.header)
  let written = 0
  for await (const page of pages) {
    for (const row of page) {
      if (rowListColumn >= 0) {
        const range = options.rowList!.rangeOf(row)
        if (range !== undefined) {
          validations(sheet).add(`${columnLetters(rowListColumn + 1)}${written + 2}`, {
            type: "list",
            allowBlank: true,
            formulae: [range],
            showErrorMessage: true,
            errorStyle: "stop",
            errorTitle: options.rowList!.header,
            error: "Pick one of the values of the list"
          })
        }
      }
      written++
      const added = sheet.addRow(row.map((c, i) => (isFormatted(c) ? c.value : dateColumns.includes(i) ? dateCell(c) : c)))
      row.forEach((c, i) => {
        if (isFormatted(c)) added.getCell(i + 1).numFmt = c.numFmt
      })
      added.commit()
    }
    rows += page.length
    // let the zip take what was written before the next page is read
    await new Promise((resolve) => setImmediate(resolve))
  }
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: Math.max(1, rows + 1), column: header.length } }
  // the drop-down lists over the rows written, added now: the writer writes them when the sheet is committed
  for (const [h, values] of Object.entries(options.lists ?? {})) {
    const i = header.indexOf(h)
    if (i < 0 || rows === 0) continue
    const letters = columnLetters(i + 1)
    validations(sheet).add(`${letters}2:${letters}${rows + 1}`, {
      type: "list",
      allowBlank: true,
      formulae: [`"${values.join(",")}"`],
      showErrorMessage: true,
      errorStyle: "stop",
      errorTitle: h,
      error: `Pick one of: ${values.join(", ")}`
    })
  }
  await commitSheet(sheet)
}

/** A figure's value as a number cell: pounds for pence (formatted as money), hundredths as a decimal, counts as they are. */
export const figureCell = (unit: Figure.Unit, value: number): Cell =>
  unit === "pence" ? { value: value / 100, numFmt: moneyFormat } : unit === "hundredths" ? { value: value / 100, numFmt: "0.00" } : value

/** An ISO date as a date cell (midnight UTC, as exceljs writes dates); anything else as it is. */
const dateCell = (value: string | number | Date | null): string | number | Date | null =>
  typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : value

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
export const write = async (
  output: NodeJS.WritableStream,
  data: ReportData.ReportData,
  gates: ReadonlyArray<GateResult>,
  options: {
    readonly owners: ReadonlyArray<Summary.Owner>
    /** The values a code system's legacy values may be mapped to, where the pipeline has a list. */
    readonly codeValues?: ((codeSystem: string) => ReadonlyArray<string> | undefined) | undefined
  } = { owners: [] }
): Promise<void> => {
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
  // what the workbook is of, read back when the decisions a person made in it are imported
  for (const [label, value] of about(data)) add([label, value])
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

  // every amount and count a number a finance officer can sum, sort and filter: money in pounds with a pound sign
  const amounts = ["legacy", "excluded", "explained", "expected", "target", "variance"]
  await streamSheet(
    book,
    sheetName("Figures", taken),
    ["figure", "dimension", "value", "measure", "unit", ...amounts],
    mapPages(data.pages.figures(), (page) =>
      page.map((l) => [
        l.figure,
        l.dimension,
        l.value,
        l.measure,
        l.unit === "pence" ? "£" : l.unit,
        ...[l.source, l.excluded, l.explained, l.expected, l.target, l.variance].map((v) => figureCell(l.unit, v))
      ]))
  )

  await streamSheet(
    book,
    sheetName("Issues for the supplier", taken),
    [...findingColumns, "decision in force"],
    mapPages(findingsByCheck(data, { statuses: statuses.filter((s) => s !== "resolved") }), (page) =>
      page.findings
        .filter((f) => supplierKinds.has(f.kind) || Verify.isVerification(f.check) || page.decisions.get(f.fingerprint)?.decision === "fix_by_supplier")
        .map((f) => [...findingRow(f), page.decisions.get(f.fingerprint)?.decision ?? null]))
  )

  // the worklists, each whole: a person's decisions picked from drop-down lists, dates as dates; on Code mapping, the
  // value to map to from the code system's own list, held on the Lists sheet (a column a code system)
  const listColumns = new Map<string, { readonly column: number; readonly values: ReadonlyArray<string> }>()
  const listSheet = "Lists"
  const rangeOfSystem = (system: string): string | undefined => {
    let list = listColumns.get(system)
    if (list === undefined) {
      const values = options.codeValues?.(system)
      if (values === undefined || values.length === 0) return undefined
      list = { column: listColumns.size + 1, values }
      listColumns.set(system, list)
    }
    const letters = columnLetters(list.column)
    return `${listSheet}!$${letters}$2:$${letters}$${list.values.length + 1}`
  }
  for (const worklist of Worklists.worklists) {
    const header = Worklists.header(worklist)
    const system = header.indexOf("code system")
    await streamSheet(
      book,
      sheetName(worklist.title, taken),
      header,
      Worklists.rows(data, worklist, options.owners),
      {
        dates: ["until"],
        lists: { decision: worklist.decisions },
        ...(worklist.mapTo && system >= 0 ? { rowList: { header: "map to", rangeOf: (row: Row) => rangeOfSystem(String(row[system] ?? "")) } } : {})
      }
    )
  }

  // the reconciliation's findings, a sheet per check, each ending with the columns a person fills in to accept a
  // finding or mark it for a fix (the worklists' items are on their own sheets)
  const header = [...findingColumns, ...Worklists.findingDecisionHeaders]
  for (const { check } of ReportData.checks(data)) {
    if (Worklists.ofCheck(check) !== undefined) continue
    await streamSheet(
      book,
      sheetName(check, taken),
      header,
      mapPages(data.pages.findings({ checks: [check] }), (page) =>
        page.findings.map((f) => [...findingRow(f), ...Worklists.decisionCells(page.decisions.get(f.fingerprint))])),
      { dates: ["until"], lists: { decision: Worklists.findingDecisions } }
    )
  }
  // the values each code system's legacy values may be mapped to, for the drop-down lists of Code mapping
  if (listColumns.size > 0) {
    const lists = [...listColumns].sort((a, b) => a[1].column - b[1].column)
    const longest = Arrays.max(lists.map(([, l]) => l.values.length))
    await streamSheet(book, sheetName(listSheet, taken), lists.map(([system]) => system), (async function*() {
      yield Array.from({ length: longest }, (_, i) => lists.map(([, l]) => l.values[i] ?? null))
    })())
  }
  await book.commit()
}

/** The labels of the Summary sheet's first column that say what a workbook is of, and their values. */
export const aboutLabels = { rehearsal: "rehearsal series", run: "run", pipeline: "pipeline" } as const

const about = (data: ReportData.ReportData): ReadonlyArray<readonly [string, string]> => [
  [aboutLabels.rehearsal, data.run.rehearsal],
  [aboutLabels.run, data.run.runId],
  [aboutLabels.pipeline, data.run.pipeline]
]

/** The findings of a workbook's check sheets, read back: what a data owner's spreadsheet holds. */
export const readFindings = async (path: string): Promise<ReadonlyArray<Record<string, string | null>>> => {
  const book = new ExcelJS.Workbook()
  await book.xlsx.readFile(path)
  const out: Array<Record<string, string | null>> = []
  book.eachSheet((sheet) => {
    const header = (sheet.getRow(1).values as Array<unknown>).slice(1).map(String)
    // the checks' sheets: the supplier's lists them again, the worklists list items, not findings
    if (header[0] !== "fingerprint" || !header.includes("check") || header.includes("decision in force")) return
    const own = header.filter((h) => !Worklists.findingDecisionHeaders.includes(h))
    sheet.eachRow((row, n) => {
      if (n === 1) return
      const values = (row.values as Array<unknown>).slice(1)
      out.push(Object.fromEntries(own.map((h, i) => [h, values[i] === undefined || values[i] === null ? null : String(values[i])])))
    })
  })
  return out
}
