/**
 * No array of unknown length is spread into a call in production code. `out.push(...rows)`, `Math.max(...values)`,
 * `f(...items)` pass every item on the stack and fail past about 100,000 items with `RangeError: Maximum call stack
 * size exceeded`: a reconciliation of 300,000 clients once stopped that way. Every module under `packages/<name>/src`
 * (the benchmark's included), `pipelines/<name>/src` and `fixtures/src` is parsed, and every spread into a call (or array
 * handed to `apply`) must be bounded by construction — a fixed tuple, the flags of one row, the parts of one key —
 * and named below with why; anything else fails, naming its file, line and the call. Arrays of any length are appended
 * with `Arrays.appendAll` and measured with `Arrays.max` / `Arrays.min` (`@handover/sql`).
 */
import { assert, describe, it } from "@effect/vitest"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { type Allowed, check, describeSpread, findInFiles, findInSource, sourceFiles } from "./spreadCalls.ts"

const root = path.resolve(import.meta.dirname, "..")

/** The folders of production source: every package's and pipeline's `src`, and the fixtures'. */
const folders = [
  ...readdirSync(path.join(root, "packages")).map((name) => `packages/${name}/src`),
  ...readdirSync(path.join(root, "pipelines")).map((name) => `pipelines/${name}/src`),
  "fixtures/src"
].filter((folder) => existsSync(path.join(root, folder)))

/** The spreads into calls whose arrays are bounded by construction, and why. */
const allowlist: ReadonlyArray<Allowed> = [
  {
    file: "packages/sql/src/mssql/MssqlDriver.ts",
    call: "bulk.rows.add(...row.map((v, i) => bulkValue(table.columns[i]!.type, v)))",
    reason: "the values of one row, one for each column of its table; the mssql bulk table takes a row as arguments"
  },
  {
    file: "pipelines/swift-to-ias/src/Clean.ts",
    call: "flags.push(...r.flags)",
    reason: "the flags of one cleaned value of one row: a cleaned date or amount carries none or one"
  },
  {
    file: "pipelines/swift-to-ias/src/steps/People.ts",
    call: "flags.push(...dates.flags)",
    reason: "the flags of one person's two dates (birth and death), at most one each"
  },
  {
    file: "pipelines/swift-to-ias/src/steps/People.ts",
    call: "flags.push(...c.flags)",
    reason: "the flags of one code of one person mapped: none, or one for a code the map does not know"
  },
  {
    file: "fixtures/src/swift/Rng.ts",
    call: "hash(...parts)",
    reason: "the numbers that name one random stream (seed, client number, purpose), gathered by the rest parameter "
      + "of `unit` and `stream` from the numbers their callers write out; a caller spreading an array would be found here"
  },
  // test data generators: their arrays are the few rows, columns and values a test asks for
  {
    file: "packages/testkit/src/Arbitraries.ts",
    call: "fc.constantFrom(...sorted.slice(0, index))",
    reason: "the client numbers of one generated estate: at most `maxClients` (60 unless a test asks for fewer)"
  },
  {
    file: "packages/testkit/src/Arbitraries.ts",
    call: "fc.constantFrom(...sorted)",
    reason: "the client numbers of one generated estate: at most `maxClients` (60 unless a test asks for fewer)"
  },
  {
    file: "packages/testkit/src/Arbitraries.ts",
    call: "fc.tuple(...sorted.map(client))",
    reason: "one arbitrary for each client of one generated estate: at most `maxClients` (60 unless a test asks for fewer)"
  },
  {
    file: "packages/testkit/src/Arbitraries.ts",
    call: "fc.tuple(...ids.map(packageRow))",
    reason: "one arbitrary for each care package of one generated estate: at most `maxPackages` (80 unless a test asks)"
  },
  {
    file: "packages/testkit/src/Hostile.ts",
    call: "fc.constantFrom(...nastyFragments)",
    reason: "a fixed list of about fifty fragments written out in the module"
  },
  {
    file: "packages/testkit/src/Hostile.ts",
    call: "fc.constantFrom(...numberTexts)",
    reason: "a fixed list of about thirty number texts written out in the module"
  },
  {
    file: "packages/testkit/src/Hostile.ts",
    call: "fc.constantFrom(...dateTexts)",
    reason: "a fixed list of about twenty-five date texts written out in the module"
  },
  {
    file: "packages/testkit/src/Hostile.ts",
    call: "fc.constantFrom(...similar)",
    reason: "the keys a test's small template table already holds (`taken`; a few hundred at most)"
  },
  {
    file: "packages/testkit/src/Hostile.ts",
    call: "fc.constantFrom(...references)",
    reason: "the few values of one column a test offers as references (six in the hostile-rows test)"
  },
  {
    file: "packages/testkit/src/Hostile.ts",
    call: "fc.tuple(...table.columns.map((c) => (keyColumns.includes(c) ? keyValue(c) : value(c))))",
    reason: "one arbitrary for each column of one table definition"
  },
  {
    file: "packages/testkit/src/Hostile.ts",
    call: "fc.constantFrom(...valid)",
    reason: "the few valid rows a test offers as templates (twenty in the hostile-rows test)"
  },
  {
    file: "packages/testkit/src/Hostile.ts",
    call: "fc.tuple(...keyColumns.map(keyValue))",
    reason: "one arbitrary for each key column of one table definition"
  },
  {
    file: "packages/testkit/src/Hostile.ts",
    call: "fc.constantFrom(...nonKeyAt)",
    reason: "the positions of one table definition's columns outside its key"
  },
  {
    file: "packages/testkit/src/Hostile.ts",
    call: "fc.tuple(...at.map((i) => value(table.columns[i]!)))",
    reason: "one arbitrary for each of the one to three columns chosen to make hostile"
  },
  {
    file: "packages/testkit/src/Hostile.ts",
    call: "fc.constantFrom(...nonKey)",
    reason: "the positions of one table definition's columns outside its key"
  }
]

describe("arrays spread into calls", () => {
  const files = folders.flatMap((folder) => sourceFiles(root, folder))

  it("reads every package, pipeline, the fixtures and the benchmark", () => {
    for (const folder of [...folders, "packages/bench/src", "packages/sql/src", "pipelines/swift-to-ias/src", "fixtures/src"]) {
      assert.isTrue(files.some((file) => file.startsWith(`${folder}/`)), `no source file read under ${folder}`)
    }
    assert.include(files, "packages/bench/src/bench.ts")
    assert.include(files, "packages/reconcile/src/Reconcile.ts")
    assert.isAtLeast(files.length, 100)
  })

  it("are, in production code, only arrays bounded by construction, each named in the allowlist with why", () => {
    const started = performance.now()
    const found = findInFiles(root, files)
    const { stale, unallowed } = check(found, allowlist)
    console.log(`${found.length} spreads into calls in ${files.length} files, all allowed: ${unallowed.length === 0} (${Math.round(performance.now() - started)} ms)`)
    assert.deepStrictEqual(
      unallowed.map(describeSpread),
      [],
      "arrays of unknown length spread into calls (they fail past about 100,000 items): append with `Arrays.appendAll`, "
        + "take `Arrays.max` / `Arrays.min`, loop, or, if the array is bounded by construction, name it in the allowlist with why"
    )
    assert.deepStrictEqual(stale, [], "allowlist entries that name no spread any more")
    for (const entry of allowlist) assert.isTrue(entry.reason.trim().length > 0, `${entry.file}: ${entry.call} has no reason`)
  })

  it("are reported when an unbounded one is added to a copy of a real module", () => {
    const file = "packages/reconcile/src/Reconcile.ts"
    const original = readFileSync(path.join(root, file), "utf8")
    const line = original.split("\n").length + 2
    const copy = `${original}\nconst rows: Array<number> = []\nrows.push(...rows)\n`
    assert.deepStrictEqual(check(findInSource(file, original), allowlist).unallowed, [])
    assert.deepStrictEqual(check(findInSource(file, copy), allowlist).unallowed.map(describeSpread), [
      `${file}:${line}:14  rows.push(...rows)`
    ])
  })

  it("are reported in every form of call, and nowhere else", () => {
    const source = [
      "out.push(...rows)",
      "const m = Math.max(...values)",
      "f(a, ...items, b)",
      "const d = new Date(...parts)",
      "maybe?.(...items)",
      "class B extends A { constructor(...args: Array<number>) { super(...args) } }",
      "const text = String.fromCharCode.apply(null, codes)",
      "Reflect.apply(f, undefined, items)",
      "Reflect.construct(Date, parts)",
      "pipe(f(g(...(inner as Array<number>))))"
    ].join("\n")
    assert.deepStrictEqual(findInSource("Example.ts", source).map(describeSpread), [
      "Example.ts:1:13  out.push(...rows)",
      "Example.ts:2:23  Math.max(...values)",
      "Example.ts:3:9  f(a, ...items, b)",
      "Example.ts:4:23  new Date(...parts)",
      "Example.ts:5:12  maybe?.(...items)",
      "Example.ts:6:68  super(...args)",
      "Example.ts:7:46  String.fromCharCode.apply(null, codes)",
      "Example.ts:8:29  Reflect.apply(f, undefined, items)",
      "Example.ts:9:25  Reflect.construct(Date, parts)",
      "Example.ts:10:14  g(...(inner as Array<number>))"
    ])
    const notCalls = [
      "// out.push(...rows) in a comment",
      "const s = \"out.push(...rows) in a string\"",
      "const both = [...left, ...right]",
      "const row = { ...defaults, ...given }",
      "const [first, ...rest] = items",
      "const f = (...parts: Array<number>) => parts.length",
      "type Joined = [...Array<string>, number]",
      "f(...[a, b])",
      "f(...\"0123456789\")",
      "f(...(nullable ? [{ weight: 1 }] : []))",
      "Math.max(1, ...([2, 3] as const))",
      "f.apply(null, [a, b])",
      "g(tagged`${items}`)"
    ].join("\n")
    assert.deepStrictEqual(findInSource("Example.ts", notCalls), [])
  })

  it("pass where the allowlist names them, in their own file only, and an entry that names nothing is stale", () => {
    for (const entry of allowlist) {
      const found = findInSource(entry.file, `${entry.call}\n`)
      assert.strictEqual(found.length, 1, entry.call)
      assert.deepStrictEqual(check(found, allowlist).unallowed, [], entry.call)
      assert.deepStrictEqual(check(findInSource("packages/core/src/Elsewhere.ts", `${entry.call}\n`), allowlist).unallowed.length, 1, entry.call)
    }
    const gone: Allowed = { file: "packages/core/src/Gone.ts", call: "out.push(...rows)", reason: "no longer there" }
    assert.deepStrictEqual(check([], [gone]).stale, [gone])
  })
})
