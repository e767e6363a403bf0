/**
 * Decodes a legacy row (text columns) with the Schema of the legacy row. A row that fails is not dropped: the
 * failure says which field and why, in words a data owner can read, for the quarantine.
 */
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as Cause from "effect/Cause"
import * as SchemaAST from "effect/SchemaAST"
import { textReaderOf, type TextReader, undecided, unstorable } from "./LegacyText.ts"
import type { LegacyText } from "./Pipeline.ts"

export interface DecodeFailure {
  readonly _tag: "DecodeFailure"
  /** The first failing field, as a dotted path; `(row)` when the row as a whole is wrong. */
  readonly fieldPath: string
  /** Every problem found, one a line: `field: message`. */
  readonly reason: string
}

const formatter = SchemaIssue.makeFormatterStandardSchemaV1()

const pathOf = (path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined): string =>
  path === undefined || path.length === 0
    ? "(row)"
    : path.map((p) => String(typeof p === "object" && p !== null && "key" in p ? p.key : p)).join(".")

/** The failure of a Schema, as a field path and a readable reason. */
export const describeIssue = (issue: SchemaIssue.Issue): DecodeFailure => {
  const issues = formatter(issue).issues
  const lines = issues.map((i) => `${pathOf(i.path)}: ${i.message}`)
  return { _tag: "DecodeFailure", fieldPath: pathOf(issues[0]?.path), reason: lines.join("\n") }
}

/**
 * The columns of a legacy row whose text the target could not store (a NUL character, half a surrogate pair), as a
 * failure; `undefined` when every value can be carried. Checked before the Schema, for every column, so no mapping
 * ever hands such text to the target, where it would fail a whole batch or be changed on the way.
 */
export const unstorableText = (row: LegacyText): DecodeFailure | undefined => {
  let problems: Array<readonly [string, string]> | undefined
  for (const column of Object.keys(row)) {
    const value = row[column]
    if (typeof value !== "string") continue
    const problem = unstorable(value)
    if (problem !== undefined) (problems ??= []).push([column, problem])
  }
  return problems === undefined
    ? undefined
    : { _tag: "DecodeFailure", fieldPath: problems[0]![0], reason: problems.map(([c, p]) => `${c}: ${p}`).join("\n") }
}

/** A plain text value with nothing to check: `Schema.String`. */
const isPlainText = (ast: SchemaAST.AST) =>
  SchemaAST.isString(ast) && ast.checks === undefined && ast.encoding === undefined
const isPlainNull = (ast: SchemaAST.AST) => SchemaAST.isNull(ast) && ast.checks === undefined && ast.encoding === undefined

const readText: TextReader = (text) => (typeof text === "string" ? text : undecided)
const readNullableText: TextReader = (text) => (typeof text === "string" || text === null ? text : undecided)

/** A Schema (a function with an `ast`, as Effect makes them, or an object with one). */
const isSchema = (value: unknown): value is { readonly ast: unknown } =>
  (typeof value === "function" || (typeof value === "object" && value !== null)) && "ast" in value

/** How one field's text is read without the Schema, for the field codecs whose result is known in advance. */
const readerOf = (codec: unknown): TextReader | undefined => {
  if (!isSchema(codec)) return undefined
  const own = textReaderOf(codec)
  if (own !== undefined) return own
  const ast = codec.ast as SchemaAST.AST
  if (isPlainText(ast)) return readText
  // `Schema.NullOr(Schema.String)`: text or NULL, as it is
  if (
    SchemaAST.isUnion(ast) && ast.checks === undefined && ast.encoding === undefined && ast.types.length === 2 &&
    ast.types.some(isPlainText) && ast.types.some(isPlainNull)
  ) return readNullableText
  return undefined
}

/**
 * The decoded row straight from its text values, for a Schema that is a plain struct of fields each with a reader;
 * `undecided` as soon as one value is not decided, and then the Schema decodes the row whole, so that a row gets the
 * same value (or the same failure) either way. `undefined` for any other Schema.
 */
const fastDecoder = (schema: unknown): ((row: LegacyText) => unknown) | undefined => {
  if (!isSchema(schema) || !("fields" in schema)) return undefined
  const ast = schema.ast as SchemaAST.AST
  if (!SchemaAST.isObjects(ast) || ast.checks !== undefined || ast.encoding !== undefined || ast.indexSignatures.length > 0) {
    return undefined
  }
  const fields = schema.fields as Readonly<Record<string, unknown>>
  const names = ast.propertySignatures.map((p) => p.name)
  if (names.some((n) => typeof n !== "string" || !Object.hasOwn(fields, n))) return undefined
  const readers: Array<TextReader> = []
  for (const name of names as ReadonlyArray<string>) {
    const reader = readerOf(fields[name])
    if (reader === undefined) return undefined
    readers.push(reader)
  }
  const count = names.length
  return (row) => {
    const out: Record<string, unknown> = {}
    for (let i = 0; i < count; i++) {
      const name = names[i] as string
      const value = readers[i]!(row[name])
      if (value === undecided) return undecided
      out[name] = value
    }
    return out
  }
}

/** A decoder for one step's legacy rows that sends every row through the Schema: what the fast path agrees with. */
export const schemaDecoder = <L>(schema: Schema.Codec<L, LegacyText>) => {
  const decode = Schema.decodeUnknownExit(schema as Schema.Codec<L, unknown>)
  return (row: LegacyText): L | DecodeFailure => {
    const unfit = unstorableText(row)
    if (unfit !== undefined) return unfit
    const exit = decode(row, { errors: "all" })
    if (Exit.isSuccess(exit)) return exit.value
    const error = Cause.findErrorOption(exit.cause)
    if (error._tag === "Some" && Schema.isSchemaError(error.value)) return describeIssue(error.value.issue)
    return { _tag: "DecodeFailure", fieldPath: "(row)", reason: Cause.pretty(exit.cause) }
  }
}

/**
 * A decoder for one step's legacy rows: the decoded row, or why it failed. Rows whose every value is plain (the
 * common case) are read straight from their text, without the Schema's machinery; any other row goes through the
 * Schema, which then gives the value or the failure it always gives.
 */
export const decoder = <L>(schema: Schema.Codec<L, LegacyText>) => {
  const slow = schemaDecoder(schema)
  const fast = fastDecoder(schema)
  if (fast === undefined) return slow
  return (row: LegacyText): L | DecodeFailure => {
    const unfit = unstorableText(row)
    if (unfit !== undefined) return unfit
    const decoded = fast(row)
    return decoded === undecided ? slow(row) : (decoded as L)
  }
}

export const isFailure = (value: unknown): value is DecodeFailure =>
  typeof value === "object" && value !== null && (value as { _tag?: unknown })._tag === "DecodeFailure"
