/**
 * Decodes a legacy row (text columns) with the Schema of the legacy row. A row that fails is not dropped: the
 * failure says which field and why, in words a data owner can read, for the quarantine.
 */
import * as Exit from "effect/Exit"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import * as Cause from "effect/Cause"
import { unstorable } from "./LegacyText.ts"
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
  const problems: Array<readonly [string, string]> = []
  for (const [column, value] of Object.entries(row)) {
    if (typeof value !== "string") continue
    const problem = unstorable(value)
    if (problem !== undefined) problems.push([column, problem])
  }
  return problems.length === 0
    ? undefined
    : { _tag: "DecodeFailure", fieldPath: problems[0]![0], reason: problems.map(([c, p]) => `${c}: ${p}`).join("\n") }
}

/** A decoder for one step's legacy rows: the decoded row, or why it failed. */
export const decoder = <L>(schema: Schema.Codec<L, LegacyText>) => {
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

export const isFailure = (value: unknown): value is DecodeFailure =>
  typeof value === "object" && value !== null && (value as { _tag?: unknown })._tag === "DecodeFailure"
