/**
 * `handover diff` as a person runs it, across dialect pairs (PGlite against PostgreSQL, PostgreSQL against PGlite,
 * and two schemas of one PGlite folder): for any table and any rows dropped, added or changed on the right, it reports
 * exactly those rows and columns and exits 1, or 0 when nothing changed; every value but the key is withheld unless
 * `--reveal full`; and each refusal — no such table, no usable key, a type with no canonical form, a bad `--where` — is
 * one line on standard error and exit 2.
 */
import { assert, it } from "@effect/vitest"
import { Database } from "@handover/sql"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import fc from "fast-check"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { handover } from "./command.ts"

const runs = Math.max(3, Math.floor(Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30) / 6))

interface Row {
  readonly id: number
  readonly name: string | null
  readonly amount: string
  readonly born: string | null
  readonly active: boolean
}

const columns = ["name", "amount", "born", "active"] as const

const createTable = (schema: string) =>
  `CREATE TABLE ${schema}.t (id integer PRIMARY KEY, name varchar(40), amount numeric(10,2) NOT NULL, born date, active boolean NOT NULL)`

/** Writes rows into `schema.t`, created afresh, on the database at the URL. */
const write = (url: string, schema: string, rows: ReadonlyArray<Row>, extra: ReadonlyArray<string> = []) =>
  Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const db = yield* Database.openUrl(url)
    yield* db.use("write a table", async (d) => {
      await d.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
      await d.query(`CREATE SCHEMA ${schema}`)
      await d.query(createTable(schema))
      for (const r of rows) {
        await d.query(`INSERT INTO ${schema}.t VALUES ($1, $2, $3, $4, $5)`, [r.id, r.name, r.amount, r.born, r.active])
      }
      for (const statement of extra) await d.query(statement)
    })
  })))

const text = fc.string({ minLength: 6, maxLength: 20, unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzÉé'- ".split("")) })
  .filter((s) => s.trim().length >= 6)
const rowArb = (id: number) =>
  fc.record({
    name: fc.option(text, { nil: null }),
    amount: fc.integer({ min: -99_999_999, max: 99_999_999 }).map((p) => (p / 100).toFixed(2)),
    born: fc.option(fc.date({ min: new Date("1900-01-01"), max: new Date("2020-12-31"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)), { nil: null }),
    active: fc.boolean()
  }).map((r): Row => ({ id, ...r }))

/** A value of a column changed for sure. */
const changed = (row: Row, column: (typeof columns)[number]): Row => {
  switch (column) {
    case "name":
      return { ...row, name: row.name === null ? "a new name" : `${row.name}x` }
    case "amount":
      return { ...row, amount: (Number(row.amount) + 0.01).toFixed(2) }
    case "born":
      return { ...row, born: row.born === "2000-01-01" ? "2000-01-02" : "2000-01-01" }
    case "active":
      return { ...row, active: !row.active }
  }
}

const caseArb = fc.integer({ min: 0, max: 40 }).chain((n) =>
  fc.tuple(
    fc.tuple(...Array.from({ length: n }, (_, i) => rowArb(i * 3 + 1))),
    fc.uniqueArray(fc.integer({ min: 0, max: Math.max(0, n - 1) }), { maxLength: Math.min(n, 5) }),
    fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 4 }).chain((ids) => fc.tuple(...ids.map((i) => rowArb(i * 3 + 2)))),
    fc.array(fc.tuple(fc.integer({ min: 0, max: Math.max(0, n - 1) }), fc.constantFrom(...columns)), { maxLength: 6 })
  )
).map(([left, dropped, added, changes]) => {
  const drop = new Set(dropped.filter((i) => i < left.length).map((i) => left[i]!.id))
  const right = new Map(left.filter((r) => !drop.has(r.id)).map((r) => [r.id, r] as const))
  const touched = new Set<string>()
  for (const [i, column] of changes) {
    const row = left[i]
    if (row === undefined || drop.has(row.id) || touched.has(`${row.id}|${column}`)) continue
    right.set(row.id, changed(right.get(row.id)!, column))
    touched.add(`${row.id}|${column}`)
  }
  for (const r of added) right.set(r.id, r)
  return { left, right: [...right.values()], dropped: [...drop], added: added.map((r) => r.id), touched: [...touched] }
})

interface Line {
  readonly kind: string
  readonly key: string
  readonly column: string | null
  readonly left: string | null
  readonly right: string | null
}

const parse = (stdout: string): ReadonlyArray<Line> => stdout.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Line)

it.effect("reports exactly the rows and columns changed, across dialect pairs, values withheld unless revealed", () =>
  Effect.gen(function*() {
    const server = (yield* TestDatabase.freshPostgres).url
    const folder = yield* Effect.acquireRelease(Effect.promise(() => mkdtemp(path.join(tmpdir(), "handover-diff-"))), (f) => Effect.promise(() => rm(f, { recursive: true, force: true })))
    const embedded = `pglite://${path.join(folder, "db")}`
    const pairs = [
      { name: "PGlite against PostgreSQL", left: embedded, right: server, leftSchema: "l", rightSchema: "r" },
      { name: "PostgreSQL against PGlite", left: server, right: embedded, leftSchema: "l", rightSchema: "r" },
      { name: "two schemas of one PGlite folder", left: embedded, right: embedded, leftSchema: "l", rightSchema: "r" }
    ]
    for (const pair of pairs) {
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(caseArb, fc.boolean(), async (c, reveal) => {
            await write(pair.left, pair.leftSchema, c.left)
            await write(pair.right, pair.rightSchema, c.right)
            const done = await handover([
              "diff", "--left", pair.left, "--right", pair.right, "--table", `${pair.leftSchema}.t`, "--right-table", `${pair.rightSchema}.t`, "--json",
              ...(reveal ? ["--reveal", "full"] : [])
            ], folder)
            const lines = parse(done.stdout)
            const same = c.dropped.length + c.added.length + c.touched.length === 0
            assert.strictEqual(done.code, same ? 0 : 1, `${pair.name}: ${done.stderr}`)
            assert.deepStrictEqual(lines.filter((l) => l.kind === "only-left").map((l) => Number(l.key)).sort((a, b) => a - b), [...c.dropped].sort((a, b) => a - b), pair.name)
            assert.deepStrictEqual(lines.filter((l) => l.kind === "only-right").map((l) => Number(l.key)).sort((a, b) => a - b), [...c.added].sort((a, b) => a - b), pair.name)
            assert.deepStrictEqual(lines.filter((l) => l.kind === "changed").map((l) => `${l.key}|${l.column}`).sort(), [...c.touched].sort(), pair.name)
            const summary = JSON.parse(done.stderr.split("\n").find((l) => l.startsWith("{"))!) as { summary: { onlyLeft: number; onlyRight: number; changed: number } }
            assert.strictEqual(summary.summary.onlyLeft, c.dropped.length)
            assert.strictEqual(summary.summary.onlyRight, c.added.length)
            // masking: no value but the key in the output unless revealed
            for (const l of lines.filter((l) => l.kind === "changed")) {
              if (reveal) assert.notStrictEqual(l.left, l.right)
              else for (const v of [l.left, l.right]) assert.oneOf(v, ["[withheld]", null])
            }
            if (!reveal) {
              for (const r of [...c.left, ...c.right]) if (r.name !== null) assert.notInclude(done.stdout, r.name, "a name in the output")
            }
          }),
          { numRuns: runs }
        )
      )
    }
  }), { timeout: 600_000 })

it.effect("refuses what it cannot compare: one line, exit 2", () =>
  Effect.gen(function*() {
    const folder = yield* Effect.acquireRelease(Effect.promise(() => mkdtemp(path.join(tmpdir(), "handover-diff-"))), (f) => Effect.promise(() => rm(f, { recursive: true, force: true })))
    const url = `pglite://${path.join(folder, "db")}`
    const rows: ReadonlyArray<Row> = [1, 2, 3].map((id) => ({ id, name: `person ${id}`, amount: "1.00", born: null, active: true }))
    yield* Effect.promise(() =>
      write(url, "l", rows, [
        "CREATE TABLE l.no_key (id integer, name text)",
        "INSERT INTO l.no_key VALUES (1, 'a'), (1, 'b')",
        "CREATE TABLE l.floats (id integer PRIMARY KEY, weight double precision)",
        "CREATE TABLE l.guids (id uuid PRIMARY KEY, name text)",
        "INSERT INTO l.guids VALUES ('6F9619FF-8B86-D011-B42D-00C04FC964FF', 'a'), ('0e984725-c51c-4bf4-9960-e1c80e27aba0', 'b')",
        "CREATE TABLE l.guids_copy AS SELECT * FROM l.guids",
        "ALTER TABLE l.guids_copy ADD PRIMARY KEY (id)",
        "UPDATE l.guids_copy SET name = 'c' WHERE name = 'b'"
      ]))
    const refused = async (args: ReadonlyArray<string>, says: RegExp) => {
      const done = await handover(["diff", "--left", url, "--right", url, ...args], folder)
      assert.strictEqual(done.code, 2, done.stderr)
      const lines = done.stderr.trim().split("\n")
      assert.strictEqual(lines.length, 1, done.stderr)
      assert.match(lines[0]!, says)
      assert.strictEqual(done.stdout, "")
    }
    yield* Effect.promise(async () => {
      await refused(["--table", "l.nothing"], /^handover: the left table "nothing" not found in schema "l"/)
      await refused(["--table", "l.no_key"], /no primary key: name the columns that pick out one row with --key/)
      await refused(["--table", "l.no_key", "--key", "id"], /the key \("id"\) is not unique/)
      await refused(["--table", "l.t", "--key", "nothing"], /no column "nothing"/)
      await refused(["--table", "l.floats"], /column "weight" is of type double precision, which has no canonical form: leave it out with --columns/)
      await refused(["--table", "l.t", "--where", "no_such_column = 1"], /^handover: --where on the left \(.*\): .*no_such_column/)
      // a column left out: the rest compared, and the same
      const same = await handover(["diff", "--left", url, "--right", url, "--table", "l.floats", "--columns", "id"], folder)
      assert.strictEqual(same.code, 0, same.stderr)
      assert.match(same.stdout, /0 only on the left, 0 only on the right, 0 changed/)
      // a GUID key: compared as text in lower case, the row changed found by it
      const guids = await handover(["diff", "--left", url, "--right", url, "--table", "l.guids", "--right-table", "l.guids_copy", "--json"], folder)
      assert.strictEqual(guids.code, 1, guids.stderr)
      const changed = parse(guids.stdout)
      assert.strictEqual(changed.length, 1, guids.stdout)
      assert.include(JSON.stringify(changed[0]), "0e984725-c51c-4bf4-9960-e1c80e27aba0")
    })
  }), { timeout: 300_000 })
