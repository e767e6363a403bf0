/**
 * What the command says when a folder it is given will not do, through the real command line: exit code 2, one line
 * on standard error that names the folder and what is wrong, no stack trace, and nothing already recorded changed.
 *
 * - An embedded database URL naming a folder of other files, a file, or a path under a file: refused before PGlite
 *   opens it, the folder (and what is beside it) left exactly as it was.
 * - A folder another PGlite wrote: a database of another PostgreSQL major (both versions named), or of this major
 *   with another catalogue version (perhaps another PGlite release, this one named); the files left as they were.
 * - A reports folder that cannot be written (a file, a path under a file) for `report` and `rehearse`, on PGlite and
 *   PostgreSQL: the control schema — runs, reconciliations, findings, figures — the same before and after; `rehearse`
 *   stops before it starts a run.
 * - An estate manifest that cannot be written (`rehearse --regenerate`, `fixtures generate`) or read (`report`): the
 *   command stops before the estate is generated, so the legacy estate is the one there was.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { ControlSchema, Database } from "@handover/sql"
import * as PgliteDirectory from "@handover/sql/pglite/PgliteDirectory"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { handover, type Outcome } from "./command.ts"

/** A tiny estate with findings: 20 clients of seed 2 give three. */
const estate = ["--clients", "20", "--seed", "2"]

let cwd = ""
/** The embedded database (legacy and target in one folder) rehearsed once for every case below. */
let rehearsed = ""

beforeAll(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), "handover-clear-errors-"))
  rehearsed = path.join(cwd, "rehearsed")
  const url = `pglite://${rehearsed}`
  const done = await handover(["rehearse", "--legacy", url, "--target", url, ...estate, "--progress", "none", "--gates", "report"], cwd)
  assert.strictEqual(done.code, 0, done.stderr)
}, 120_000)

afterAll(() => rm(cwd, { recursive: true, force: true }))

/** Exit code 2 and exactly the one line expected on standard error, nothing on standard output, no stack trace. */
const assertRefused = (outcome: Outcome, expected: string, said: string) => {
  const told = `${said}: exit ${outcome.code} after ${outcome.ms} ms\nstdout: ${outcome.stdout}\nstderr: ${outcome.stderr}`
  assert.strictEqual(outcome.code, 2, told)
  assert.notMatch(outcome.stdout + outcome.stderr, /^\s+at /m, told)
  assert.strictEqual(outcome.stdout, "", told)
  assert.deepStrictEqual(outcome.stderr.trimEnd().split("\n"), [`handover: ${expected}`], told)
}

/** Every file and folder under a folder, each file with a hash of its content. */
const listing = async (folder: string): Promise<ReadonlyArray<string>> => {
  const out: Array<string> = []
  for (const name of (await readdir(folder, { recursive: true })).sort()) {
    const file = path.join(folder, name)
    out.push((await stat(file)).isDirectory() ? `${name}/` : `${name} ${createHash("sha256").update(await readFile(file)).digest("hex")}`)
  }
  return out
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
  return c >>> 0
})
const crc32c = (bytes: Uint8Array): number => {
  let c = 0xffffffff
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** Gives a database folder the catalogue version of another release of the same PostgreSQL, as another PGlite would. */
const otherCatalogue = async (folder: string) => {
  const control = path.join(folder, "global", "pg_control")
  const bytes = await readFile(control)
  const catalogue = bytes.readUInt32LE(12)
  assert.isTrue(catalogue > 200_000_000 && catalogue < 300_000_000, `catalogue version ${catalogue}`)
  const crcAt = Array.from({ length: 128 }, (_, i) => 16 + i * 4).find((at) => crc32c(bytes.subarray(0, at)) === bytes.readUInt32LE(at))
  assert.isDefined(crcAt, "the control file's checksum")
  bytes.writeUInt32LE(catalogue - 1, 12)
  bytes.writeUInt32LE(crc32c(bytes.subarray(0, crcAt!)), crcAt!)
  await writeFile(control, bytes)
}

/** A folder of its own for one case, so that what is beside the folder under test can be compared too. */
const caseFolder = async (name: string) => {
  const folder = path.join(cwd, "cases", name)
  await mkdir(folder, { recursive: true })
  return folder
}

const embedded = `PGlite ${PgliteDirectory.pgliteVersion()} (PostgreSQL ${PgliteDirectory.postgresMajor})`
const giveAnother = "give an empty or new folder"

describe("an embedded database folder that will not do", () => {
  it.live("is refused before PGlite opens it, with one line, and nothing in or beside it changes", () =>
    Effect.gen(function*() {
      const cases = yield* Effect.promise(async () => {
        const documents = async (name: string) => {
          const folder = path.join(await caseFolder(name), "documents")
          await mkdir(path.join(folder, "minutes"), { recursive: true })
          await writeFile(path.join(folder, "readme.txt"), "hi\n")
          await writeFile(path.join(folder, "minutes", "2026-01.txt"), "minutes of January\n")
          return folder
        }
        const aFile = async (name: string) => {
          const file = path.join(await caseFolder(name), "target.db")
          await writeFile(file, "not a folder\n")
          return file
        }
        const [target, legacy, file, above] = await Promise.all([documents("documents"), documents("legacy-documents"), aFile("file"), aFile("under-a-file")])
        const under = path.join(above, "target")
        const postgres17 = path.join(await caseFolder("postgres-17"), "database")
        const catalogue = path.join(await caseFolder("catalogue"), "database")
        await Promise.all([cp(rehearsed, postgres17, { recursive: true }), cp(rehearsed, catalogue, { recursive: true })])
        await writeFile(path.join(postgres17, "PG_VERSION"), "17\n")
        await otherCatalogue(catalogue)
        const notADatabase = (folder: string) =>
          `cannot open pglite://${folder}: ${folder} is not an embedded Handover database (it holds minutes and readme.txt, and no PG_VERSION): ${giveAnother}`
        return [
          { name: "a folder of other files", watched: target, args: ["runs", "--target", `pglite://${target}`], expect: notADatabase(target) },
          {
            name: "a folder of other files as the legacy database of a rehearsal",
            watched: legacy,
            args: ["rehearse", "--legacy", `pglite://${legacy}`, "--target", `pglite://${legacy}`, ...estate, "--progress", "none"],
            expect: notADatabase(legacy)
          },
          {
            name: "a file",
            watched: file,
            args: ["runs", "--target", `pglite://${file}`],
            expect: `cannot open pglite://${file}: ${file} is a file, not an embedded Handover database: ${giveAnother}`
          },
          {
            name: "a path under a file",
            watched: above,
            args: ["runs", "--target", `pglite://${under}`],
            expect: `cannot open pglite://${under}: ${above} is a file, so ${under} cannot be a folder: ${giveAnother}`
          },
          {
            name: "a database of another PostgreSQL major",
            watched: postgres17,
            args: ["runs", "--target", `pglite://${postgres17}`],
            expect: `cannot open pglite://${postgres17}: ${postgres17} was written by PostgreSQL 17, and this Handover embeds ${embedded}: ` +
              `open it with the Handover version that wrote it, or ${giveAnother}`
          },
          {
            name: "a database of another catalogue version",
            watched: catalogue,
            args: ["runs", "--target", `pglite://${catalogue}`],
            expect: `cannot open pglite://${catalogue}: ${embedded} could not start the database in ${catalogue}; ` +
              `it may have been written by another PGlite version, or be damaged`
          }
        ]
      })
      // what is in the folder (or file) under test, and what is beside it; each case has a folder of its own
      const state = (watched: string) =>
        Effect.promise(async () => ({
          inside: (await stat(watched)).isDirectory() ? await listing(watched) : [await readFile(watched, "utf8")],
          beside: await listing(path.dirname(watched)).then((all) => all.filter((entry) => !entry.startsWith(`${path.basename(watched)}/`)))
        }))
      yield* Effect.forEach(cases, (c) =>
        Effect.gen(function*() {
          const before = yield* state(c.watched)
          const outcome = yield* Effect.promise(() => handover(c.args, cwd))
          assertRefused(outcome, c.expect, c.name)
          assert.deepStrictEqual(yield* state(c.watched), before, `${c.name}: something was written`)
        }), { concurrency: 3 })
    }), { timeout: 120_000 })
})

/** Every row of the control schema, table by table, and the legacy clients, as text. */
const recorded = (url: string) =>
  Effect.scoped(Effect.gen(function*() {
    const db = yield* Database.openUrl(url)
    return yield* db.use("read the control schema", async (d) => {
      const out: Record<string, ReadonlyArray<string>> = {}
      const tables = [...Object.values(ControlSchema.tables(ControlSchema.defaultSchema)), { schema: undefined, name: "lg_client" }]
      for (const table of tables) out[table.name] = (await d.queryText(`SELECT * FROM ${d.dialect.qualify(table)}`)).map((r) => JSON.stringify(r)).sort()
      return out
    })
  })).pipe(Effect.orDie)

/**
 * The reports and manifest cases on a database rehearsed once, one after another (an embedded database is opened by
 * one process at a time): each command refused with one line, and the control schema (and the legacy clients) the
 * same afterwards as before.
 */
const reportsAndManifest = (url: string, folder: string) =>
  Effect.gen(function*() {
    const file = path.join(folder, "not-a-folder")
    const directory = path.join(folder, "a-folder")
    yield* Effect.promise(async () => {
      await writeFile(file, "a file\n")
      await mkdir(directory)
    })
    const before = yield* recorded(url)
    for (const table of ["run", "reconciliation", "finding", "figure", "lg_client"]) assert.isAbove(before[table]!.length, 0, `${table} rows to compare`)
    const rehearse = ["rehearse", "--legacy", url, "--target", url, ...estate, "--progress", "none"]
    const reports = path.join(folder, "reports")
    const cases: ReadonlyArray<{ readonly args: ReadonlyArray<string>; readonly expect: string }> = [
      { args: ["report", "--target", url, "--reports", file], expect: `cannot write the reports to ${file}: not a directory` },
      {
        args: ["report", "--target", url, "--reports", path.join(file, "reports")],
        expect: `cannot write the reports to ${path.join(file, "reports")}: not a directory`
      },
      { args: [...rehearse, "--reports", file], expect: `cannot write the reports to ${file}: not a directory` },
      {
        args: [...rehearse, "--regenerate", "--reports", reports, "--manifest", path.join(file, "estate.jsonl")],
        expect: `cannot write the estate manifest to ${path.join(file, "estate.jsonl")}: not a directory`
      },
      {
        args: ["report", "--target", url, "--reports", reports, "--manifest", directory],
        expect: `cannot read the estate manifest ${directory}: illegal operation on a directory`
      }
    ]
    for (const c of cases) assertRefused(yield* Effect.promise(() => handover(c.args, folder)), c.expect, c.args.join(" "))
    assert.deepStrictEqual(yield* recorded(url), before, "the control schema or the legacy estate changed")
    assert.strictEqual(yield* Effect.promise(() => readFile(file, "utf8")), "a file\n")
  })

describe("a reports folder or manifest that cannot be written", () => {
  it.live("stops the command with one line, and the control schema is unchanged, on PGlite and PostgreSQL", () =>
    Effect.gen(function*() {
      const pglite = Effect.flatMap(Effect.promise(() => caseFolder("reports-pglite")), (folder) => reportsAndManifest(`pglite://${rehearsed}`, folder))
      const postgres = Effect.gen(function*() {
        const url = (yield* TestDatabase.freshPostgres).url
        const folder = yield* Effect.promise(() => caseFolder("reports-postgres"))
        const done = yield* Effect.promise(() =>
          handover(["rehearse", "--legacy", url, "--target", url, ...estate, "--progress", "none", "--gates", "report"], folder)
        )
        assert.strictEqual(done.code, 0, done.stderr)
        yield* reportsAndManifest(url, folder)
      })
      yield* Effect.all(TestDatabase.dialects().includes("postgres") ? [pglite, postgres] : [pglite], { concurrency: "unbounded" })
    }).pipe(Effect.scoped), { timeout: 120_000 })

  it.live("fixtures generate stops before generating, with one line", () =>
    Effect.gen(function*() {
      const folder = yield* Effect.promise(() => caseFolder("fixtures"))
      const file = path.join(folder, "not-a-folder")
      yield* Effect.promise(() => writeFile(file, "a file\n"))
      const manifest = path.join(file, "estate.jsonl")
      const outcome = yield* Effect.promise(() => handover(["fixtures", "generate", "--legacy", "pglite://memory", ...estate, "--manifest", manifest], folder))
      assertRefused(outcome, `cannot write the estate manifest to ${manifest}: not a directory`, "fixtures generate")
    }), { timeout: 60_000 })
})
