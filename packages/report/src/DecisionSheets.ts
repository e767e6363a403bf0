/**
 * The decisions a person made in a workbook of the reports, read back: the rows of each worklist sheet, and of each
 * check's sheet of findings, whose `decision` a person filled in, with what the workbook says it is of (its rehearsal
 * series and run, from the Summary sheet). Columns are found by their headers, wherever a person moved them; a formula
 * gives its result, rich text its text, a date cell its day. Other sheets are passed over, as are rows with no
 * decision.
 *
 * Nothing is judged here but the shape of each row: whether its decision is one the sheet allows, its `until` a day,
 * its texts of a sane length. Whether a fingerprint is one of the run's items is the ledger's to say.
 */
import { Decisions } from "@handover/reconcile"
import ExcelJS from "exceljs"
import * as Worklists from "./Worklists.ts"
import { aboutLabels } from "./Xlsx.ts"

type Decision = Decisions.Decision

/** A decision as the ledger records it, from the words of a worklist's drop-down list (`fix at source`). */
export const decisionOf = (words: string): Decision | undefined => {
  const key = words.trim().toLowerCase().replace(/[\s_]+/g, "_")
  return Decisions.decisions.find((d) => d === key)
}

export interface Read {
  readonly rehearsal: string | null
  readonly runId: string | null
  /** The pipeline the workbook's run is of. */
  readonly pipeline: string | null
  readonly decided: ReadonlyArray<Decisions.Row>
  readonly wrong: ReadonlyArray<Decisions.WrongRow>
}

/** The longest text a decision's reason or `map to` may be: a paragraph, not a document pasted in. */
export const maxText = 2_000

/** The longest name of who decided. */
export const maxBy = 100

/** A cell's value as text: a formula's result, rich text's text, a hyperlink's text, a date as its day. */
export const cellText = (value: unknown): string | null => {
  if (value === null || value === undefined) return null
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString().slice(0, 10)
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "boolean") return String(value)
  if (typeof value === "object") {
    const v = value as { readonly result?: unknown; readonly richText?: ReadonlyArray<{ readonly text: string }>; readonly text?: unknown; readonly error?: unknown; readonly formula?: unknown }
    if (v.richText !== undefined) return v.richText.map((r) => r.text).join("")
    if ("formula" in v || "sharedFormula" in v) return cellText(v.result)
    if (v.error !== undefined) return null
    if (v.text !== undefined) return cellText(v.text)
  }
  return String(value)
}

/** A spreadsheet's day serial (days since 1899-12-30) as `yyyy-mm-dd`. */
const serialDay = (n: number) => new Date(Math.round((n - 25_569) * 86_400_000)).toISOString().slice(0, 10)

/** An `until` cell as a day: a date cell, a day serial, or text `yyyy-mm-dd` (or `dd/mm/yyyy`). */
export const dayOf = (value: unknown): string | undefined => {
  const unwrapped = typeof value === "object" && value !== null && !(value instanceof Date) && "result" in value ? (value as { readonly result: unknown }).result : value
  if (unwrapped instanceof Date) return Number.isNaN(unwrapped.getTime()) ? undefined : unwrapped.toISOString().slice(0, 10)
  if (typeof unwrapped === "number" && Number.isFinite(unwrapped)) return serialDay(unwrapped)
  const text = cellText(unwrapped)?.trim() ?? ""
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  const british = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text)
  const [y, m, d] = iso !== null ? [iso[1], iso[2], iso[3]] : british !== null ? [british[3], british[2]!.padStart(2, "0"), british[1]!.padStart(2, "0")] : []
  if (y === undefined) return undefined
  const day = `${y}-${m}-${d}`
  const parsed = new Date(`${day}T00:00:00Z`)
  return Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== day ? undefined : day
}

/** A check's sheet of findings, as a list a person decides on: its check is each row's own. */
const findingSheet: Worklists.Worklist = {
  id: "findings",
  title: "",
  check: "",
  description: "",
  decisions: Worklists.findingDecisions,
  columns: [],
  mapTo: false
}

/** The worklist a sheet is, by its name as the reports name it. */
const worklistOf = (sheet: string): Worklists.Worklist | undefined => Worklists.worklists.find((w) => w.title === sheet)

/**
 * Reads the decisions of a workbook. The workbook is read whole (exceljs's streaming reader names a worksheet only
 * when the workbook part comes before it in the file, which it need not), and its rows a sheet at a time.
 */
export const read = async (file: string): Promise<Read> => {
  const book = new ExcelJS.Workbook()
  await book.xlsx.readFile(file)
  let rehearsal: string | null = null
  let runId: string | null = null
  let pipeline: string | null = null
  const decided: Array<Decisions.Row> = []
  const wrong: Array<Decisions.WrongRow> = []
  for (const sheet of book.worksheets) {
    const name = sheet.name
    // a worklist by its name; a check's sheet of findings by its header (its name is the check's, cut short)
    let worklist = worklistOf(name)
    let findings = false
    let columns: Map<string, number> | undefined
    for (let n = 1; n <= sheet.rowCount; n++) {
      const row = sheet.getRow(n)
      const values = row.values as ReadonlyArray<unknown>
      if (name === "Summary") {
        const label = cellText(values[1])?.trim()
        if (label === aboutLabels.rehearsal) rehearsal = cellText(values[2])
        if (label === aboutLabels.run) runId = cellText(values[2])
        if (label === aboutLabels.pipeline) pipeline = cellText(values[2])
        continue
      }
      if (columns === undefined) {
        // the header: each column by its name, wherever it was moved
        columns = new Map()
        values.forEach((v, i) => {
          const header = cellText(v)?.trim().toLowerCase()
          if (header !== undefined && header !== "" && !columns!.has(header)) columns!.set(header, i)
        })
        findings = worklist === undefined && columns.has("fingerprint") && columns.has("check") && columns.has("decision")
        if (findings) worklist = findingSheet
        if (worklist === undefined) break
        for (const needed of ["fingerprint", "decision"]) {
          if (!columns.has(needed)) wrong.push({ sheet: name, row: row.number, reason: `no ${needed} column` })
        }
        continue
      }
      const at = (header: string) => {
        const i = columns!.get(header)
        return i === undefined ? undefined : values[i]
      }
      const decisionText = cellText(at("decision"))?.trim() ?? ""
      if (decisionText === "") continue
      const problems: Array<string> = []
      const fingerprint = cellText(at("fingerprint"))?.trim() ?? ""
      if (!/^[0-9a-f]{32}$/.test(fingerprint)) problems.push(fingerprint === "" ? "no fingerprint" : "a fingerprint that is not one the reports write")
      const decision = decisionOf(decisionText)
      const allowed = worklist!.decisions.map((d) => decisionOf(d))
      if (decision === undefined || !allowed.includes(decision)) {
        problems.push(`${JSON.stringify(decisionText.slice(0, 40))} is not a decision of this sheet (${worklist!.decisions.join(", ")})`)
      }
      const mapTo = cellText(at("map to"))?.trim() || null
      if (decision === "map_to" && mapTo === null) problems.push("map to: no value to map to")
      if (decision !== "map_to" && mapTo !== null) problems.push("map to: a value to map to, but the decision is not map to")
      const reason = cellText(at("reason"))?.trim() ?? ""
      const by = cellText(at("by"))?.trim() || null
      for (const [label, text, max] of [["reason", reason, maxText], ["map to", mapTo ?? "", maxText], ["by", by ?? "", maxBy]] as const) {
        if (text.length > max) problems.push(`${label}: ${text.length.toLocaleString("en-GB")} characters, more than ${max.toLocaleString("en-GB")}`)
      }
      const untilCell = at("until")
      const until = cellText(untilCell) === null ? null : dayOf(untilCell)
      if (until === undefined) problems.push(`until: ${JSON.stringify(cellText(untilCell)?.slice(0, 40))} is not a day`)
      if (problems.length > 0) {
        for (const reason of problems) wrong.push({ sheet: name, row: row.number, reason })
        continue
      }
      const check = findings ? cellText(at("check"))?.trim() ?? "" : worklist!.check
      decided.push({ sheet: name, row: row.number, check, fingerprint, decision: decision!, mapTo, reason, by, until: until ?? null })
    }
  }
  return { rehearsal, runId, pipeline, decided, wrong }
}
