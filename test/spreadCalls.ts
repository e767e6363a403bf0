/**
 * Arrays spread into calls, found in source text: `f(...items)`, `new F(...items)`, `out.push(...rows)`,
 * `Math.max(...values)`, and arrays handed over as arguments through `f.apply(that, items)`, `Reflect.apply` and
 * `Reflect.construct`. Every item of such an array travels as an argument on the stack, and past about 100,000 items
 * the call fails with `RangeError: Maximum call stack size exceeded`: a migration of a large estate would stop there.
 *
 * The source is parsed (Babel's parser, with its TypeScript plugin), never matched by pattern, so comments, strings,
 * type annotations and spreads into array and object literals (`[...a, ...b]`, `{ ...row }`, which pass nothing on the
 * stack) are told apart from calls. A spread whose array is written out in the call itself is bounded by what is
 * written, and is not reported: an array literal (`f(...[a, b])`), a string literal (`f(..."abc")`) and a choice
 * between such (`f(...(nullable ? [x] : []))`). Anything else is reported, for a person to rewrite or to show bounded.
 */
import { parse } from "@babel/parser"
import type * as t from "@babel/types"
import { VISITOR_KEYS } from "@babel/types"
import { readdirSync, readFileSync } from "node:fs"
import * as path from "node:path"

/** One array spread into a call, or handed over as the arguments of one. */
export interface SpreadCall {
  /** The file, relative to the folder it was found from, with `/` between folders. */
  readonly file: string
  readonly line: number
  readonly column: number
  /** The whole call as written, its white space collapsed to single spaces: what an allowlist names. */
  readonly call: string
  /** The array that is spread, as written. */
  readonly array: string
}

/** An allowed spread: the file, the call as written (white space collapsed) and why its array is bounded. */
export interface Allowed {
  readonly file: string
  readonly call: string
  readonly reason: string
}

/** What a check of spread calls against an allowlist finds. */
export interface Checked {
  /** Spreads no allowlist entry names. */
  readonly unallowed: ReadonlyArray<SpreadCall>
  /** Allowlist entries that name no spread any more: they allow what is not there, and should go. */
  readonly stale: ReadonlyArray<Allowed>
}

const collapse = (text: string): string => text.replace(/\s+/g, " ").trim()

/** Whether an array's length is written out in the call itself: a literal of fixed length, or a choice of them. */
const writtenOut = (node: t.Node): boolean => {
  switch (node.type) {
    case "ArrayExpression":
      return node.elements.every((e) => e === null || e.type !== "SpreadElement" || writtenOut(e.argument))
    case "StringLiteral":
      return true
    case "TemplateLiteral":
      return node.expressions.length === 0
    case "ConditionalExpression":
      return writtenOut(node.consequent) && writtenOut(node.alternate)
    case "TSAsExpression":
    case "TSSatisfiesExpression":
    case "TSNonNullExpression":
    case "TSTypeAssertion":
    case "ParenthesizedExpression":
      return writtenOut(node.expression)
    default:
      return false
  }
}

const isNamed = (node: t.Node, name: string): boolean =>
  (node.type === "Identifier" && node.name === name) || (node.type === "StringLiteral" && node.value === name)

/** The member a call's callee names (`apply` in `f.apply(…)`), if it is a member access. */
const memberName = (callee: t.Node): { readonly object: t.Node; readonly property: t.Node } | undefined =>
  callee.type === "MemberExpression" || callee.type === "OptionalMemberExpression"
    ? { object: callee.object, property: callee.property }
    : undefined

/** The arguments of a call that hand an array over as the call's own arguments (`f.apply(that, items)`). */
const arrayArguments = (callee: t.Node, args: ReadonlyArray<t.Node>): ReadonlyArray<t.Node> => {
  const member = memberName(callee)
  if (member === undefined) return []
  if (isNamed(member.property, "apply")) {
    const reflect = isNamed(member.object, "Reflect")
    const items = args[reflect ? 2 : 1]
    return items === undefined ? [] : [items]
  }
  if (isNamed(member.object, "Reflect") && isNamed(member.property, "construct")) {
    const items = args[1]
    return items === undefined ? [] : [items]
  }
  return []
}

/** Every array spread into a call in one source text, in the order they are written. */
export const findInSource = (file: string, source: string): ReadonlyArray<SpreadCall> => {
  const ast = parse(source, {
    sourceFilename: file,
    sourceType: "module",
    plugins: /\.[cm]?[jt]sx$/.test(file) ? ["typescript", "jsx"] : ["typescript"]
  })
  const found: Array<SpreadCall> = []
  const text = (node: t.Node) => source.slice(node.start ?? 0, node.end ?? 0)
  const report = (call: t.Node, array: t.Node) =>
    found.push({
      file,
      line: array.loc?.start.line ?? 0,
      column: (array.loc?.start.column ?? 0) + 1,
      call: collapse(text(call)),
      array: collapse(text(array))
    })
  // an explicit stack, not recursion: a deeply nested expression cannot overflow the finder's own stack
  const pending: Array<t.Node> = [ast.program]
  while (pending.length > 0) {
    const node = pending.pop()!
    if (node.type === "CallExpression" || node.type === "OptionalCallExpression" || node.type === "NewExpression") {
      for (const argument of node.arguments) {
        if (argument.type === "SpreadElement" && !writtenOut(argument.argument)) report(node, argument.argument)
      }
      for (const items of arrayArguments(node.callee, node.arguments)) {
        if (!writtenOut(items)) report(node, items)
      }
    }
    const keys = VISITOR_KEYS[node.type] ?? []
    for (let k = keys.length - 1; k >= 0; k--) {
      const child = (node as unknown as Record<string, unknown>)[keys[k]!]
      if (Array.isArray(child)) {
        for (let i = child.length - 1; i >= 0; i--) {
          const c: unknown = child[i]
          if (c !== null && typeof c === "object" && "type" in c) pending.push(c as t.Node)
        }
      } else if (child !== null && typeof child === "object" && "type" in child) {
        pending.push(child as t.Node)
      }
    }
  }
  return found.sort((a, b) => a.line - b.line || a.column - b.column)
}

const sourceFile = /\.[cm]?[jt]sx?$/

/** Every source file (TypeScript or JavaScript) under a folder, relative to `root`, with `/` between folders. */
export const sourceFiles = (root: string, folder: string): ReadonlyArray<string> =>
  readdirSync(path.join(root, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && sourceFile.test(entry.name) && !entry.name.endsWith(".d.ts"))
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .filter((file) => !file.split("/").some((part) => part === "node_modules" || part === "dist"))
    .sort()

/** Every array spread into a call in the given files, read from under `root`. */
export const findInFiles = (root: string, files: ReadonlyArray<string>): ReadonlyArray<SpreadCall> =>
  files.flatMap((file) => findInSource(file, readFileSync(path.join(root, file), "utf8")))

/** The spreads that no entry of the allowlist names, and the entries that name none. */
export const check = (found: ReadonlyArray<SpreadCall>, allowlist: ReadonlyArray<Allowed>): Checked => {
  const names = (entry: Allowed, spread: SpreadCall) => entry.file === spread.file && collapse(entry.call) === spread.call
  return {
    unallowed: found.filter((spread) => !allowlist.some((entry) => names(entry, spread))),
    stale: allowlist.filter((entry) => !found.some((spread) => names(entry, spread)))
  }
}

/** A spread as a person reads it in a failure: `file:line:column  call`. */
export const describeSpread = (spread: SpreadCall): string => `${spread.file}:${spread.line}:${spread.column}  ${spread.call}`
