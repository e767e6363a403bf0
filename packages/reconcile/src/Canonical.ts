/**
 * Values in one comparable text form per column type, whether they come from a mapping (JavaScript values) or from a
 * database (its text output): booleans `t`/`f`, decimals without trailing zeros, dates `yyyy-mm-dd`, timestamps in
 * UTC ISO form.
 */
import type { Driver, Table } from "@handover/sql"

const decimalText = (text: string): string => {
  let t = text.trim()
  let sign = ""
  if (t.startsWith("-")) {
    sign = "-"
    t = t.slice(1)
  } else if (t.startsWith("+")) t = t.slice(1)
  let [whole = "", fraction = ""] = t.split(".")
  whole = whole.replace(/^0+(?=\d)/, "")
  fraction = fraction.replace(/0+$/, "")
  const out = fraction === "" ? whole : `${whole}.${fraction}`
  return out === "0" ? "0" : `${sign}${out}`
}

/** A value in the comparable text form of its column type. */
export const value = (type: Table.ColumnType, v: Driver.SqlValue | undefined): string | null => {
  if (v === null || v === undefined) return null
  switch (type._tag) {
    case "boolean":
      return v === true || v === "t" || v === "true" || v === "1" || v === 1 ? "t" : "f"
    case "int":
    case "bigint":
    case "decimal":
      return decimalText(String(v))
    case "date":
      return String(v).slice(0, 10)
    case "timestamp": {
      const ms = Date.parse(String(v))
      return Number.isNaN(ms) ? String(v) : new Date(ms).toISOString()
    }
    case "text":
      return String(v)
  }
}
