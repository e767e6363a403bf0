/**
 * The folder of an embedded database, checked before PGlite opens it: a new folder, an empty folder and a database of
 * the embedded PostgreSQL version open; a file, a path under a file, a folder of other files and a database another
 * PostgreSQL version wrote are refused with a message that names the folder and what to do, and nothing is written
 * into them. A database of the right version that PGlite still cannot start (its catalogue from another PGlite
 * release) is said to be perhaps another PGlite version's.
 */
import { PGlite } from "@electric-sql/pglite"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import * as Database from "../src/Database.ts"
import * as PgliteDirectory from "../src/pglite/PgliteDirectory.ts"
import * as PgliteDriver from "../src/pglite/PgliteDriver.ts"

let root = ""
/** A database PGlite made, copied for each test that needs one. */
let database = ""

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), "handover-pglite-folder-"))
  database = path.join(root, "made-by-pglite")
  const driver = await PgliteDriver.make({ dataDir: database })
  await driver.close()
})

afterAll(() => rm(root, { recursive: true, force: true }))

let made = 0
const fresh = async (name: string) => {
  const folder = path.join(root, `${name}-${++made}`)
  await mkdir(folder)
  return folder
}
const copyOfDatabase = async (name: string) => {
  const folder = path.join(root, `${name}-${++made}`)
  await cp(database, folder, { recursive: true })
  return folder
}

/** Every file under a folder with its size and content, to show that nothing was written. */
const snapshot = async (folder: string): Promise<ReadonlyArray<string>> => {
  const out: Array<string> = []
  for (const name of (await readdir(folder, { recursive: true })).sort()) {
    const file = path.join(folder, name)
    const info = await stat(file)
    out.push(info.isDirectory() ? `${name}/` : `${name} ${(await readFile(file)).toString("base64")}`)
  }
  return out
}

const refusal = async (directory: string): Promise<PgliteDirectory.PgliteDirectoryError> => {
  try {
    await PgliteDirectory.check(directory)
  } catch (error) {
    assert.instanceOf(error, PgliteDirectory.PgliteDirectoryError)
    return error as PgliteDirectory.PgliteDirectoryError
  }
  return assert.fail(`${directory} was not refused`)
}

/** The message `Database.openUrl` fails with. */
const openFailure = async (url: string): Promise<string> => {
  const exit = await Effect.runPromiseExit(Effect.scoped(Database.openUrl(url)))
  assert.isTrue(Exit.isFailure(exit), url)
  if (!Exit.isFailure(exit)) return ""
  const error = Cause.squash(exit.cause)
  assert.instanceOf(error, Database.DatabaseError, String(error))
  return (error as Database.DatabaseError).message
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
  return c >>> 0
})
/** CRC-32C, the checksum PostgreSQL keeps in its control file. */
const crc32c = (bytes: Uint8Array): number => {
  let c = 0xffffffff
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

describe("what this Handover embeds", () => {
  it("is the PostgreSQL major PGlite itself reports, and PGlite's package version", async () => {
    const pglite = await PGlite.create()
    try {
      const { rows } = await pglite.query<{ server_version_num: string }>("SHOW server_version_num")
      assert.strictEqual(PgliteDirectory.postgresMajor, Math.floor(Number(rows[0]!.server_version_num) / 10_000))
    } finally {
      await pglite.close()
    }
    const manifest = JSON.parse(await readFile(new URL("../node_modules/@electric-sql/pglite/package.json", import.meta.url), "utf8")) as {
      version: string
    }
    assert.strictEqual(PgliteDirectory.pgliteVersion(), manifest.version)
    assert.strictEqual(PgliteDirectory.embedded(), `PGlite ${manifest.version} (PostgreSQL ${PgliteDirectory.postgresMajor})`)
    assert.strictEqual((await readFile(path.join(database, "PG_VERSION"), "utf8")).trim(), String(PgliteDirectory.postgresMajor))
  })
})

describe("a folder that may be opened", () => {
  it("is in memory, not made yet, empty, or a database of this PostgreSQL version", async () => {
    await PgliteDirectory.check(undefined)
    const missing = path.join(root, "not-made-yet", "target")
    await PgliteDirectory.check(missing)
    assert.isFalse(await stat(path.join(root, "not-made-yet")).then(() => true, () => false), "checking made a folder")
    await PgliteDirectory.check(await fresh("empty"))
    await PgliteDirectory.check(database)
    assert.isUndefined(PgliteDirectory.problem(database))
  })
})

describe("a folder that is refused", () => {
  it("is a folder of other files, named with what to do, and PGlite writes nothing into it", async () => {
    const folder = await fresh("documents")
    await writeFile(path.join(folder, "readme.txt"), "hi\n")
    await mkdir(path.join(folder, "minutes"))
    await writeFile(path.join(folder, "minutes", "2026-01.txt"), "minutes\n")
    const before = await snapshot(folder)
    const error = await refusal(folder)
    assert.strictEqual(error.directory, folder)
    assert.strictEqual(error.message, `${folder} is not an embedded Handover database (it holds minutes and readme.txt, and no PG_VERSION): give an empty or new folder`)
    const message = await openFailure(`pglite://${folder}`)
    assert.strictEqual(message, `cannot open pglite://${folder}: ${error.message}`)
    try {
      await PgliteDriver.make({ dataDir: folder })
      assert.fail("the driver opened a folder of other files")
    } catch (e) {
      assert.instanceOf(e, PgliteDirectory.PgliteDirectoryError)
    }
    assert.deepStrictEqual(await snapshot(folder), before)

    const one = await fresh("one-file")
    await writeFile(path.join(one, "notes.txt"), "")
    assert.include((await refusal(one)).message, "(it holds notes.txt, and no PG_VERSION)")
    const many = await fresh("many-files")
    for (const name of ["e", "d", "c", "b", "a"]) await writeFile(path.join(many, name), "")
    assert.include((await refusal(many)).message, "(it holds a, b, c and 2 more, and no PG_VERSION)")
    const four = await fresh("four-files")
    for (const name of ["d", "c", "b", "a"]) await writeFile(path.join(four, name), "")
    assert.include((await refusal(four)).message, "(it holds a, b, c and d, and no PG_VERSION)")
  })

  it("is a file, or a path under a file", async () => {
    const file = path.join(root, "a-file")
    await writeFile(file, "not a folder\n")
    assert.strictEqual((await refusal(file)).message, `${file} is a file, not an embedded Handover database: give an empty or new folder`)
    assert.strictEqual(await openFailure(`pglite://${file}`), `cannot open pglite://${file}: ${file} is a file, not an embedded Handover database: give an empty or new folder`)
    const under = path.join(file, "deeper", "target")
    assert.strictEqual((await refusal(under)).message, `${file} is a file, so ${under} cannot be a folder: give an empty or new folder`)
    assert.strictEqual(await openFailure(`pglite://${under}`), `cannot open pglite://${under}: ${file} is a file, so ${under} cannot be a folder: give an empty or new folder`)
    assert.strictEqual(await readFile(file, "utf8"), "not a folder\n")
  })

  it("is a database another PostgreSQL version wrote, naming both versions", async () => {
    const folder = await copyOfDatabase("postgres-17")
    await writeFile(path.join(folder, "PG_VERSION"), "17\n")
    const before = await snapshot(folder)
    const expected = `${folder} was written by PostgreSQL 17, and this Handover embeds PGlite ${PgliteDirectory.pgliteVersion()} ` +
      `(PostgreSQL ${PgliteDirectory.postgresMajor}): open it with the Handover version that wrote it, or give an empty or new folder`
    assert.strictEqual((await refusal(folder)).message, expected)
    assert.strictEqual(await openFailure(`pglite://${folder}`), `cannot open pglite://${folder}: ${expected}`)
    assert.deepStrictEqual(await snapshot(folder), before)
  })

  it("has a PG_VERSION that names no version", async () => {
    const folder = await fresh("odd-version")
    await writeFile(path.join(folder, "PG_VERSION"), "eighteen\n")
    assert.strictEqual(
      (await refusal(folder)).message,
      `${folder} is not an embedded Handover database (its PG_VERSION names no PostgreSQL version): give an empty or new folder`
    )
  })
})

describe("a database of this PostgreSQL version that PGlite cannot start", () => {
  it("may have been written by another PGlite version, which the message says, naming this one", async () => {
    const folder = await copyOfDatabase("other-catalogue")
    // another PGlite release of the same PostgreSQL major may have another catalogue version: the control file says
    // which, under a CRC-32C the server checks first
    const control = path.join(folder, "global", "pg_control")
    const bytes = await readFile(control)
    const catalogue = bytes.readUInt32LE(12)
    assert.isTrue(catalogue > 200_000_000 && catalogue < 300_000_000, `catalogue version ${catalogue}`)
    const crcAt = Array.from({ length: 128 }, (_, i) => 16 + i * 4).find((at) => crc32c(bytes.subarray(0, at)) === bytes.readUInt32LE(at))
    assert.isDefined(crcAt, "the control file's checksum")
    bytes.writeUInt32LE(catalogue - 1, 12)
    bytes.writeUInt32LE(crc32c(bytes.subarray(0, crcAt!)), crcAt!)
    await writeFile(control, bytes)

    await PgliteDirectory.check(folder)
    assert.strictEqual(
      await openFailure(`pglite://${folder}`),
      `cannot open pglite://${folder}: PGlite ${PgliteDirectory.pgliteVersion()} (PostgreSQL ${PgliteDirectory.postgresMajor}) ` +
        `could not start the database in ${folder}; it may have been written by another PGlite version, or be damaged`
    )
  })
})
