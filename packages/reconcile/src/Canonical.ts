/**
 * Values in one comparable text form per column type, whether they come from a mapping (JavaScript values) or from a
 * database (its text output): the canonical form of `CanonicalHash`, so a field the record check compares and a row
 * the table diff hashes agree on what "equal" means.
 */
import type { Driver, Table } from "@handover/sql"
import * as CanonicalHash from "./CanonicalHash.ts"

/** A mapped value in the text form a database would print for it. */
const asText = (v: Driver.SqlValue): string => (typeof v === "boolean" ? (v ? "t" : "f") : String(v))

/**
 * Whether a mapped value prints as exactly a database's text of a value (both empty counts): then their comparable
 * forms are the same, whatever the column's type, without working either out.
 */
export const sameText = (v: Driver.SqlValue | undefined, text: string | null): boolean =>
  v === null || v === undefined ? text === null : text !== null && (typeof v === "string" ? v === text : asText(v) === text)

/** A value in the comparable text form of its column type; one the form cannot read is compared as written. */
export const value = (type: Table.ColumnType, v: Driver.SqlValue | undefined): string | null => {
  if (v === null || v === undefined) return null
  const text = asText(v)
  try {
    return CanonicalHash.canonicalValue(type, type._tag === "boolean" && (text === "true" || text === "1") ? "t" : type._tag === "boolean" && (text === "false" || text === "0") ? "f" : text)
  } catch {
    return text
  }
}
