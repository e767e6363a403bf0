/**
 * Reads the reference CSV files shipped beside these modules: a header row, then one record per line, every value
 * text. A file that lacks a column its reader needs is an error, so a changed file fails loudly at first use.
 */
import { readFileSync } from "node:fs"
import { parse } from "csv-parse/sync"

export type CsvRecord = Readonly<Record<string, string>>

/** The records of the CSV file at `url`, each with at least the `required` columns. */
export const read = (url: URL, required: ReadonlyArray<string>): ReadonlyArray<CsvRecord> => {
  const text = readFileSync(url, "utf8")
  const records = parse<Record<string, string>>(text, { columns: true, bom: true, skip_empty_lines: true })
  const header = records[0] === undefined ? [] : Object.keys(records[0])
  const missing = required.filter((column) => !header.includes(column))
  if (records.length === 0 || missing.length > 0) {
    throw new Error(`${url.pathname}: ${records.length === 0 ? "no records" : `no column ${missing.join(", ")}`}`)
  }
  return records
}
