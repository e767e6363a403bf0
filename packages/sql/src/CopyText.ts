/**
 * PostgreSQL's COPY text format: one row a line, fields separated by tabs, `\N` for NULL, backslash escapes.
 */
import type { SqlValue } from "./Driver.ts"

/** A character COPY text escapes, or a NUL it cannot hold: text without one goes as it is (the common case). */
const special = /[\\\t\n\r\0]/

const escapeText = (text: string): string => {
  if (!special.test(text)) return text
  let out = ""
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    let rep: string | undefined
    if (c === 92) rep = "\\\\"
    else if (c === 9) rep = "\\t"
    else if (c === 10) rep = "\\n"
    else if (c === 13) rep = "\\r"
    else if (c === 0) throw new Error("a PostgreSQL text value cannot hold a NUL character")
    if (rep !== undefined) {
      out += text.slice(start, i) + rep
      start = i + 1
    }
  }
  return start === 0 ? text : out + text.slice(start)
}

/** One value in COPY text form. */
export const encodeValue = (value: SqlValue): string => {
  if (value === null) return "\\N"
  switch (typeof value) {
    case "string":
      return escapeText(value)
    case "boolean":
      return value ? "t" : "f"
    case "number":
      if (!Number.isFinite(value)) throw new Error(`cannot write the number ${value}`)
      return String(value)
    default:
      return String(value)
  }
}

/** Rows as one COPY text payload. */
export const encodeRows = (rows: ReadonlyArray<ReadonlyArray<SqlValue>>): string => {
  let out = ""
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) out += (i === 0 ? "" : "\t") + encodeValue(row[i]!)
    out += "\n"
  }
  return out
}

const unescapes: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\" }

const unescapeField = (field: string): string | null => {
  if (field === "\\N") return null
  if (!field.includes("\\")) return field
  return field.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e.length > 1 && e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16))
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8))
    return unescapes[e] ?? e
  })
}

/** One line of COPY text (without its newline) as text values. */
export const decodeLine = (line: string): Array<string | null> => line.split("\t").map(unescapeField)

/**
 * Splits a stream of COPY text bytes into batches of decoded rows, keeping memory bounded by the batch size.
 */
export async function* decodeBatches(
  chunks: AsyncIterable<Uint8Array>,
  batchSize: number
): AsyncGenerator<Array<Array<string | null>>> {
  let pending: Buffer = Buffer.alloc(0)
  let batch: Array<Array<string | null>> = []
  for await (const chunk of chunks) {
    const buf = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk])
    let start = 0
    let nl = buf.indexOf(10, start)
    while (nl !== -1) {
      batch.push(decodeLine(buf.toString("utf8", start, nl)))
      if (batch.length >= batchSize) {
        yield batch
        batch = []
      }
      start = nl + 1
      nl = buf.indexOf(10, start)
    }
    pending = buf.subarray(start)
  }
  if (pending.length > 0) batch.push(decodeLine(pending.toString("utf8")))
  if (batch.length > 0) yield batch
}
