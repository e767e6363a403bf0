/**
 * Secrets never leave the command: every `handover` command is run as a child process, as a person would run it,
 * against the PostgreSQL test server with a known password in the database URL and a known pseudonym key — the
 * commands that work and the ones that fail (a host that refuses, a database that does not exist, a bad flag, a
 * broken URL, a SQL Server that is not there). The password and the key, as written and URL-encoded, must appear in
 * no output, no file written (reports, workbook contents, manifest, everything under the working folder) and no
 * table of the control or target schema.
 */
import { assert, describe, it } from "@effect/vitest"
import { Database } from "@handover/sql"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { inflateRawSync } from "node:zlib"

const root = path.resolve(import.meta.dirname, "..")
const bin = path.join(root, "packages", "cli", "src", "bin.ts")

/** The test server's URL; when it asks for a password, that one is the secret (it is the one that works). */
const admin = new URL(TestDatabase.postgresAdminUrl())
const password = admin.password !== "" ? decodeURIComponent(admin.password) : "Sesame-4fQ9:z@x/y%31"
const key = "pseudonym-key-7Hq2-Zr8w-Lm4t-x0P9"
const secrets = [password, encodeURIComponent(password), key, encodeURIComponent(key)]

const withPassword = (database: string, host = `${admin.hostname}:${admin.port || "5432"}`) =>
  `postgres://${encodeURIComponent(decodeURIComponent(admin.username) || "postgres")}:${encodeURIComponent(password)}@${host}/${database}`

interface Ran {
  readonly command: string
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs the command in a folder of its own, the secrets given as a person would give them: in flags and in the environment. */
const handover = (cwd: string, args: ReadonlyArray<string>, env: Readonly<Record<string, string | undefined>> = {}) =>
  new Promise<Ran>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: { ...process.env, HANDOVER_PSEUDONYM_KEY: key, CI: "true", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")))
    child.on("error", reject)
    child.on("close", (code) => resolve({ command: args.join(" "), code, stdout, stderr }))
  })

/**
 * The text of every entry of a zip file (a workbook), inflated. The entries are found through the central directory at
 * the end of the file, which gives every entry's size and where it starts, whether or not its local header does (a
 * workbook written as a stream gives the sizes after the data).
 */
const zipEntries = (zip: Buffer): Array<string> => {
  const out: Array<string> = []
  let end = zip.length - 22
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--
  assert.isAtLeast(end, 0, "no end of central directory in the workbook")
  const entries = zip.readUInt16LE(end + 10)
  let at = zip.readUInt32LE(end + 16)
  for (let n = 0; n < entries; n++) {
    assert.strictEqual(zip.readUInt32LE(at), 0x02014b50, "a central directory entry")
    const method = zip.readUInt16LE(at + 10)
    const compressed = zip.readUInt32LE(at + 20)
    const nameLength = zip.readUInt16LE(at + 28)
    const extraLength = zip.readUInt16LE(at + 30)
    const commentLength = zip.readUInt16LE(at + 32)
    const local = zip.readUInt32LE(at + 42)
    assert.strictEqual(zip.readUInt32LE(local), 0x04034b50, "a local header where the central directory says")
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
    const data = zip.subarray(start, start + compressed)
    out.push((method === 8 ? inflateRawSync(data) : data).toString("utf8"))
    at += 46 + nameLength + extraLength + commentLength
  }
  assert.isAbove(out.length, 0, "no entries read from the workbook")
  return out
}

/** Every file under a folder, as the texts to search (a zip's entries inflated). */
const filesUnder = async (folder: string): Promise<Array<readonly [string, ReadonlyArray<string>]>> => {
  const out: Array<readonly [string, ReadonlyArray<string>]> = []
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    const content = await readFile(file)
    const texts = content.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])) ? zipEntries(content) : [content.toString("utf8"), content.toString("latin1")]
    out.push([file, texts])
  }
  return out
}

const leaks = (where: string, text: string): Array<string> =>
  secrets.filter((s) => text.includes(s)).map((s) => `${where} holds ${s === password ? "the password" : s === key ? "the pseudonym key" : "an encoded secret"}`)

const postgresTested = TestDatabase.dialects().includes("postgres")

describe("secrets", () => {
  it.skipIf(!postgresTested)("no command, working or failing, shows the database password or the pseudonym key anywhere", { timeout: 240_000 }, async () => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const fresh = yield* TestDatabase.freshPostgres
      yield* Effect.promise(() => searchEverything(fresh.name))
    })))
  })
})

describe("files that hold personal data", () => {
  it("an embedded database's folders, made by Handover, are readable by their owner only", { timeout: 60_000 }, async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), "handover-folders-"))
    try {
      const folder = path.join(cwd, ".handover", "target")
      await Effect.runPromise(Effect.scoped(Effect.flatMap(Database.openUrl(`pglite://${folder}`), (db) => db.use("touch", (d) => d.query("SELECT 1")))))
      for (const made of [path.join(cwd, ".handover"), folder]) assert.strictEqual((await stat(made)).mode & 0o777, 0o700, made)
    } finally {
      await rm(cwd, { recursive: true, force: true })
    }
  })
})

const searchEverything = async (database: string) => {
    const cwd = await mkdtemp(path.join(tmpdir(), "handover-secrets-"))
    try {
      const url = withPassword(database)
      const viaFlags = ["--legacy", url, "--target", url]
      const ran: Array<Ran> = []
      const run = async (args: ReadonlyArray<string>, expected: number | "fails", env: Readonly<Record<string, string | undefined>> = {}) => {
        const result = await handover(cwd, args, env)
        ran.push(result)
        if (expected === "fails") assert.notStrictEqual(result.code, 0, `${result.command} should have failed:\n${result.stdout}\n${result.stderr}`)
        else assert.strictEqual(result.code, expected, `${result.command}:\n${result.stdout}\n${result.stderr}`)
        return result
      }

      // the commands that work: URLs in flags for some, in the environment for others, as the README allows
      await run(["fixtures", "generate", "--legacy", url, "--clients", "120", "--seed", "7"], 0)
      await run(["rehearse", ...viaFlags, "--clients", "120", "--seed", "7", "--gates", "report"], 0)
      await run(["migrate", "--batch-size", "50"], 0, { HANDOVER_LEGACY_URL: url, HANDOVER_TARGET_URL: url })
      const reconciled = await run(["reconcile", "--json"], 0, { HANDOVER_LEGACY_URL: url, HANDOVER_TARGET_URL: url })
      await run(["report", "--target", url, "--reveal", "pseudonymised", "--reports", "pseudonymised-reports"], 0)
      await run(["report", "--reports", "masked-reports"], 0, { HANDOVER_TARGET_URL: url })
      const runs = await run(["runs", "--target", url, "--json"], 0)
      await run(["runs"], 0, { HANDOVER_TARGET_URL: url })
      const ids = [...new Set([...runs.stdout.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)].map((m) => m[0]))]
      assert.isAtLeast(ids.length, 2, runs.stdout)
      await run(["runs", "--target", url, "--compare", `${ids[0]},${ids[1]}`], 0)
      const fingerprint = /"fingerprint":"([^"]+)"/.exec(reconciled.stdout)?.[1]
      assert.isDefined(fingerprint, reconciled.stdout.slice(0, 500))
      await run(["triage", "--target", url, "--finding", fingerprint!, "--decision", "accepted", "--reason", "known", "--until", "2030-01-01"], 0)
      await run(["purge", "--target", url, "--run", ids.at(-1)!], 0)

      // the commands that fail, each with the password (and the key) at hand
      const refused = await run(["runs", "--target", withPassword(database, "127.0.0.1:1")], 2)
      assert.match(refused.stderr, /127\.0\.0\.1:1/)
      await run(["migrate", "--legacy", withPassword(`${database}_missing`), "--target", url], 2)
      await run(["reconcile", "--target", url, "--legacy", url, "--no-such-flag"], "fails")
      await run(["rehearse", ...viaFlags, "--batch-size", "many"], "fails")
      await run(["runs", "--target", `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:port/${database}`], 2)
      await run(["runs", "--target", `mssql://sa:${encodeURIComponent(password)}@127.0.0.1:1/legacy`], 2)
      await run(["report", "--target", url, "--reveal", "pseudonymised", "--reports", "no-key"], 2, { HANDOVER_PSEUDONYM_KEY: key.slice(0, 10) })
      await run(["report", "--target", url, "--reveal", "pseudonymised", "--reports", "no-key"], 2, { HANDOVER_PSEUDONYM_KEY: undefined })
      await run(["triage", "--target", withPassword(database, "127.0.0.2:5432"), "--finding", "x", "--decision", "accepted", "--reason", "r"], 2)

      const found: Array<string> = []
      for (const r of ran) {
        found.push(...leaks(`the output of handover ${r.command.replaceAll(password, "<password>")}`, r.stdout))
        found.push(...leaks(`the errors of handover ${r.command.replaceAll(password, "<password>")}`, r.stderr))
      }
      const files = await filesUnder(cwd)
      for (const [file, texts] of files) for (const text of texts) found.push(...leaks(path.relative(cwd, file), text))
      // reports, the default folder and the manifest were all written: the search had something to search
      const written = files.map(([f]) => path.relative(cwd, f))
      for (const expected of ["report.html", "report.xlsx", "report.json", "summary.md", "junit.xml", "estate-manifest.jsonl"]) {
        assert.isTrue(written.some((f) => f.endsWith(expected) && f.startsWith(".handover")), `${expected} in .handover: ${written.join(", ")}`)
      }
      assert.isTrue(written.some((f) => f.startsWith("pseudonymised-reports")), written.join(", "))

      // nothing in the database keeps them either: every row of every control and target table, as text
      const rows = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
        const db = yield* Database.openUrl(url)
        return yield* db.use("read every table", async (d) => {
          const tables = await d.queryText(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
          )
          assert.isAbove(tables.filter(([schema]) => schema === "handover").length, 5)
          const out: Array<readonly [string, string]> = []
          for (const [schema, name] of tables) {
            const table = d.dialect.qualify({ schema: schema!, name: name! })
            for (const [row] of await d.queryText(`SELECT t::text FROM ${table} t`)) out.push([`${schema}.${name}`, row ?? ""])
          }
          return out
        })
      })))
      for (const [table, row] of rows) found.push(...leaks(table, row))
      // the search finds what it looks for: a secret in any form, and text inside a workbook
      for (const s of secrets) assert.isAbove(leaks("a probe", `before ${s} after`).length, 0)
      const workbook = files.find(([f]) => f.endsWith("report.xlsx"))
      assert.isTrue(workbook !== undefined && workbook[1].some((t) => t.includes("<worksheet")), "the workbook was read")
      for (const r of ran.filter((r) => r.code !== 0)) console.log(`handover ${r.command.replaceAll(password, "<password>").replaceAll(encodeURIComponent(password), "<password>").slice(0, 90)} → ${r.code}: ${r.stderr.trim().split("\n").at(-1)?.slice(0, 200)}`)
      console.log(`secrets: ${ran.length} commands run, ${files.length} files searched, ${found.length} leaks`)
      assert.deepStrictEqual(found, [])
    } finally {
      await rm(cwd, { recursive: true, force: true })
    }
}
