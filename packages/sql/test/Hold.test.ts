/**
 * Holds on a database: how a holder is named and read back, waiting and giving up, and each dialect's hold on a real
 * database — an embedded folder's lock (taken, refused while its holder lives, taken over at once from a dead holder
 * and by exactly one of several newcomers), PostgreSQL's advisory lock (refused with the holder named, checked inside
 * a transaction, taken again when its connection is ended), and SQL Server's application lock as text (live when
 * `HANDOVER_MSSQL_URL` names a server).
 */
import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import { execFile, spawn } from "node:child_process"
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import pg from "pg"
import * as ConnectionUrl from "../src/ConnectionUrl.ts"
import * as Hold from "../src/Hold.ts"
import * as MssqlHold from "../src/mssql/MssqlHold.ts"
import * as PgliteHold from "../src/pglite/PgliteHold.ts"
import * as PostgresDriver from "../src/postgres/PostgresDriver.ts"
import * as PostgresHold from "../src/postgres/PostgresHold.ts"
import { freshPostgres, testsDialect } from "./support.ts"

const request = (command: string, warnings: Array<string> = [], waitSeconds = 0): Hold.Request => ({
  command,
  key: "control:handover",
  mode: "write",
  waitSeconds,
  warn: (m) => warnings.push(m)
})

const node = fileURLToPath(new URL("../../../node_modules/.bin/node", import.meta.url))

/** The pid of a process that has ended. */
const deadPid = () =>
  new Promise<number>((resolve, reject) => {
    const child = spawn(node, ["-e", ""], { stdio: "ignore" })
    child.on("error", reject)
    child.on("close", () => resolve(child.pid!))
  })

describe("a holder's name", () => {
  test.prop([fc.constantFrom("migrate", "rehearse", "fixtures generate", "report"), fc.integer({ min: 1, max: 4_194_304 }), fc.string({ maxLength: 300 })])(
    "fits a server session's 63 bytes and reads back as the same command and pid",
    (command, pid, host) => {
      const name = Hold.sessionName({ command: command.replace(/ /g, "-"), pid, host, since: null })
      assert.isAtMost(Buffer.byteLength(name), 63)
      const back = Hold.parseSessionName(name, "2026-12-06T01:02:03Z")
      assert.isDefined(back)
      assert.strictEqual(back!.command, command.replace(/ /g, "-"))
      assert.strictEqual(back!.pid, pid)
      assert.isTrue(host.startsWith(back!.host ?? ""))
    }
  )

  it("is not read from a session another program named", () => {
    assert.isUndefined(Hold.parseSessionName("psql", null))
    assert.isUndefined(Hold.parseSessionName(null, null))
  })

  it("says the command, pid, host and since when, in one line", () => {
    const message = Hold.heldMessage("pglite://.handover/target", { command: "migrate", pid: 4242, host: "carehost", since: "2026-12-06T01:02:03.456Z" }, 0)
    assert.strictEqual(
      message,
      "pglite://.handover/target is in use by handover migrate (pid 4242 on carehost, since 2026-12-06T01:02:03Z); wait for it to finish, or run again with --wait SECONDS"
    )
    assert.match(Hold.heldMessage("x", undefined, 5), /^x is in use by another Handover command, still after waiting 5 s; /)
  })

  test.prop([fc.string()])("gives an advisory lock key of 31 bits", (key) => {
    const n = Hold.keyNumber(key)
    assert.isTrue(Number.isInteger(n) && n >= 0 && n < 2 ** 31)
  })
})

describe("waiting for a hold", () => {
  const busy: Hold.Attempt = { _tag: "Busy", holder: { command: "migrate", pid: 1, host: "h", since: null } }
  const taken: Hold.Attempt = { _tag: "Taken", active: { holder: Hold.thisProcess("runs"), verify: async () => {}, release: async () => {} } }

  it("gives up at once without a wait, naming the holder", async () => {
    let attempts = 0
    const error = await Hold.acquire("db", request("runs"), async () => (attempts++, busy)).catch((e: unknown) => e)
    assert.instanceOf(error, Hold.HeldElsewhere)
    assert.match((error as Hold.HeldElsewhere).message, /in use by handover migrate \(pid 1 on h\)/)
    assert.strictEqual(attempts, 1)
  })

  it("asks again until the holder is gone, and says it waited", async () => {
    let attempts = 0
    const warnings: Array<string> = []
    const active = await Hold.acquire("db", request("runs", warnings, 30), async () => (++attempts < 4 ? busy : taken))
    assert.strictEqual(active, (taken as { active: Hold.Active }).active)
    assert.strictEqual(attempts, 4)
    assert.deepStrictEqual(warnings, ["db is in use by handover migrate (pid 1 on h); waiting up to 30 s for it", "db: the hold is free, going on"])
  })

  it("gives up when the wait is over", async () => {
    let attempts = 0
    const error = await Hold.acquire("db", request("runs", [], 1), async () => (attempts++, busy)).catch((e: unknown) => e)
    assert.instanceOf(error, Hold.HeldElsewhere)
    assert.match((error as Hold.HeldElsewhere).message, /still after waiting 1 s/)
    assert.isAtLeast(attempts, 2)
  })
})

describe("the hold on an embedded folder", () => {
  const withFolder = async (f: (folder: string) => Promise<void>) => {
    const root = await mkdtemp(path.join(tmpdir(), "handover-hold-"))
    try {
      await f(path.join(root, "target"))
    } finally {
      await rm(root, { recursive: true, force: true })
    }
  }

  it("is taken, refused while its holder lives, and free again once released", () =>
    withFolder(async (folder) => {
      const first = await PgliteHold.attempt(folder, request("migrate"), "t")
      assert.strictEqual(first._tag, "Taken")
      const second = await PgliteHold.attempt(folder, request("report"), "t")
      assert.strictEqual(second._tag, "Busy")
      assert.strictEqual((second as { holder: Hold.Holder }).holder.pid, process.pid)
      assert.strictEqual((second as { holder: Hold.Holder }).holder.command, "migrate")
      if (first._tag !== "Taken") return
      await first.active.verify(undefined as never)
      await first.active.release()
      const third = await PgliteHold.attempt(folder, request("report"), "t")
      assert.strictEqual(third._tag, "Taken")
      if (third._tag === "Taken") await third.active.release()
      assert.deepStrictEqual((await readdir(path.dirname(folder))).sort(), ["target"])
    }))

  it("is taken over at once from a holder that has died, and the takeover is reported", () =>
    withFolder(async (folder) => {
      const pid = await deadPid()
      await mkdir(`${folder}.lock`, { recursive: true })
      const { stat } = await import("node:fs/promises")
      const ino = (await stat(`${folder}.lock`)).ino
      await writeFile(`${folder}.lock/holder.json`, JSON.stringify({ command: "migrate", pid, host: (await import("node:os")).hostname(), since: "2026-12-06T00:00:00Z", lock: ino, started: null }))
      const warnings: Array<string> = []
      const attempt = await PgliteHold.attempt(folder, request("runs", warnings), "t")
      assert.strictEqual(attempt._tag, "Taken")
      assert.deepStrictEqual(warnings, [`t: took over the hold of handover migrate (pid ${pid} on ${(await import("node:os")).hostname()}, since 2026-12-06T00:00:00Z), which is no longer running`])
      if (attempt._tag === "Taken") await attempt.active.release()
    }))

  it("is not taken from a live process, nor from a pid reused by a process started later, wrongly", () =>
    withFolder(async (folder) => {
      const { stat } = await import("node:fs/promises")
      const host = (await import("node:os")).hostname()
      await mkdir(`${folder}.lock`, { recursive: true })
      const ino = (await stat(`${folder}.lock`)).ino
      // this process, alive: refused
      await writeFile(`${folder}.lock/holder.json`, JSON.stringify({ command: "migrate", pid: process.pid, host, since: null, lock: ino, started: null }))
      assert.strictEqual((await PgliteHold.attempt(folder, request("runs"), "t"))._tag, "Busy")
      // the same pid, but a process that started at another moment: the holder is dead, its pid reused
      await writeFile(`${folder}.lock/holder.json`, JSON.stringify({ command: "migrate", pid: process.pid, host, since: null, lock: ino, started: "1" }))
      const reused = await PgliteHold.attempt(folder, request("runs"), "t")
      assert.strictEqual(reused._tag, "Taken")
      if (reused._tag === "Taken") await reused.active.release()
      // a holder on another host is never taken over; the message says how to remove its lock
      await mkdir(`${folder}.lock`, { recursive: true })
      const ino2 = (await stat(`${folder}.lock`)).ino
      await writeFile(`${folder}.lock/holder.json`, JSON.stringify({ command: "migrate", pid: 1, host: `${host}-elsewhere`, since: null, lock: ino2, started: null }))
      const elsewhere = await PgliteHold.attempt(folder, request("runs"), "t")
      assert.strictEqual(elsewhere._tag, "Busy")
      assert.match((elsewhere as { hint?: string }).hint ?? "", /if that process is gone, remove .*target\.lock/)
    }))

  it("is taken over from a dead holder by exactly one of several processes at once", () =>
    withFolder(async (folder) => {
      const { stat } = await import("node:fs/promises")
      const pid = await deadPid()
      await mkdir(`${folder}.lock`, { recursive: true })
      const ino = (await stat(`${folder}.lock`)).ino
      await writeFile(`${folder}.lock/holder.json`, JSON.stringify({ command: "migrate", pid, host: (await import("node:os")).hostname(), since: null, lock: ino, started: null }))
      const module = fileURLToPath(new URL("../src/pglite/PgliteHold.ts", import.meta.url))
      const script = `import * as H from ${JSON.stringify(module)}; const a = await H.attempt(${JSON.stringify(folder)}, { command: "runs", key: "k", mode: "write", waitSeconds: 0 }, "t"); ` +
        `console.log(a._tag); if (a._tag === "Taken") { await new Promise((r) => setTimeout(r, 1500)); await a.active.release() }`
      const outcomes = await Promise.all(Array.from({ length: 4 }, () =>
        new Promise<string>((resolve, reject) =>
          execFile(node, ["--input-type=module", "-e", script], (error, stdout) => (error ? reject(error) : resolve(stdout.trim())))
        )))
      assert.deepStrictEqual(outcomes.sort(), ["Busy", "Busy", "Busy", "Taken"])
    }))
})

describe.skipIf(!testsDialect("postgres"))("the hold on a PostgreSQL database", () => {
  it("is refused with the holder named, checked inside a transaction, and taken again when its connection is ended", async () => {
    const db = await freshPostgres()
    const driver = PostgresDriver.make({ connectionString: db.url })
    try {
      const warnings: Array<string> = []
      const first = await PostgresHold.attempt(db.url, request("migrate", warnings), "t")
      assert.strictEqual(first._tag, "Taken")
      if (first._tag !== "Taken") return
      const second = await PostgresHold.attempt(db.url, request("report"), "t")
      assert.strictEqual(second._tag, "Busy")
      const holder = (second as { holder: Hold.Holder }).holder
      assert.strictEqual(holder.command, "migrate")
      assert.strictEqual(holder.pid, process.pid)
      assert.match(holder.since ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
      await driver.transaction((c) => first.active.verify(c))
      assert.deepStrictEqual(warnings, [])
      // an administrator ends the holding connection: the next check takes the hold again
      const admin = new pg.Client({ connectionString: db.url })
      await admin.connect()
      const ended = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'handover migrate %'")
      assert.strictEqual(ended.rowCount, 1)
      await driver.transaction((c) => first.active.verify(c))
      assert.strictEqual(warnings.length, 1)
      assert.match(warnings[0]!, /^t: the hold on it was lost \(.*\) and has been taken again$/)
      // ended again, and another command takes it meanwhile: the check fails and nothing commits
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'handover migrate %'")
      await new Promise((resolve) => setTimeout(resolve, 200))
      const other = await PostgresHold.attempt(db.url, request("rehearse"), "t")
      assert.strictEqual(other._tag, "Taken")
      await driver.query("CREATE TABLE written (n int)")
      const error = await driver.transaction(async (c) => {
        await c.query("INSERT INTO written VALUES (1)")
        await first.active.verify(c)
      }).catch((e: unknown) => e)
      assert.instanceOf(error, Hold.HoldLost)
      assert.match((error as Hold.HoldLost).message, /has it now; nothing more is written/)
      assert.deepStrictEqual((await driver.query("SELECT COUNT(*)::int AS n FROM written"))[0], { n: 0 })
      await admin.end()
      if (other._tag === "Taken") await other.active.release()
      await first.active.release()
    } finally {
      await driver.close()
      await db.drop()
    }
  })
})

describe("the hold on a SQL Server database, as text", () => {
  it("is an exclusive application lock owned by a session, not waited for, read back by its resource name", () => {
    assert.match(MssqlHold.takeSql, /EXEC @result = sp_getapplock @Resource = @p1, @LockMode = N'Exclusive', @LockOwner = N'Session', @LockTimeout = 0/)
    assert.match(MssqlHold.modeSql, /APPLOCK_MODE\(N'public', @p1, N'Session'\)/)
    assert.match(MssqlHold.releaseSql, /sp_releaseapplock @Resource = @p1, @LockOwner = N'Session'/)
    assert.match(MssqlHold.holderSql, /resource_type = N'APPLICATION' AND l\.request_mode = N'X'/)
    // the lock's description holds the first 32 characters of its resource, in brackets
    assert.strictEqual(MssqlHold.describedAs(MssqlHold.resourceOf("control:handover")), "[handover:control:handover]")
    assert.strictEqual(MssqlHold.describedAs("x".repeat(40)), `[${"x".repeat(32)}]`)
  })
})

const mssqlUrl = process.env.HANDOVER_MSSQL_URL
describe.skipIf(mssqlUrl === undefined)("the hold on a SQL Server database, live", () => {
  it("is refused while held and free once released", async () => {
    const url = ConnectionUrl.parse(mssqlUrl!)
    if (url.dialect !== "mssql") return
    const { Redacted } = await import("effect")
    const options = {
      server: url.server, port: url.port, database: url.database, user: url.user, password: Redacted.value(url.password),
      encrypt: url.encrypt, trustServerCertificate: url.trustServerCertificate
    }
    const first = await MssqlHold.attempt(options, request("migrate"), "t")
    assert.strictEqual(first._tag, "Taken")
    const second = await MssqlHold.attempt(options, request("report"), "t")
    assert.strictEqual(second._tag, "Busy")
    if (first._tag === "Taken") {
      await first.active.verify(undefined as never)
      await first.active.release()
    }
    const third = await MssqlHold.attempt(options, request("report"), "t")
    assert.strictEqual(third._tag, "Taken")
    if (third._tag === "Taken") await third.active.release()
  })
})
