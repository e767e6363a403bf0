/**
 * The folder of an embedded database, checked before PGlite opens it. Left to itself, PGlite makes a new database in
 * any folder it is given — a folder of documents, a folder of reports — and on a folder another PGlite version wrote it
 * says only that it failed to initialise. Here a folder is opened only when it is new, empty, or a database of the
 * PostgreSQL version this Handover embeds; otherwise the message names the folder and what to do, and nothing is
 * written into it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import * as Schema from "effect/Schema"
import type { ConnectionUrl } from "../ConnectionUrl.ts"
import * as SystemError from "../SystemError.ts"

/**
 * The major version of the PostgreSQL that PGlite embeds, as its data folders record it in `PG_VERSION`. A test
 * holds it to PGlite's own `server_version_num`, so it fails when PGlite is upgraded to another PostgreSQL.
 */
export const postgresMajor = 18

let version: string | undefined

/** The version of the PGlite package this Handover runs, from its `package.json`. */
export const pgliteVersion = (): string => {
  if (version === undefined) {
    version = "of unknown version"
    try {
      let folder = path.dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"))
      while (path.dirname(folder) !== folder) {
        const file = path.join(folder, "package.json")
        if (existsSync(file)) {
          const manifest = JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown }
          if (manifest.name === "@electric-sql/pglite" && typeof manifest.version === "string") {
            version = manifest.version
            break
          }
        }
        folder = path.dirname(folder)
      }
    } catch {
      // the version only adds to a message: without it the message still says what is wrong
    }
  }
  return version
}

/** What this Handover embeds, for messages: `PGlite 0.5.16 (PostgreSQL 18)`. */
export const embedded = (): string => `PGlite ${pgliteVersion()} (PostgreSQL ${postgresMajor})`

/** A folder that cannot be opened as an embedded database; the message names the folder and what to do. */
export class PgliteDirectoryError extends Schema.TaggedError<PgliteDirectoryError>()("PgliteDirectoryError", {
  directory: Schema.String,
  message: Schema.String
}) {}

const giveAnother = "give an empty or new folder"

const notADatabase = (directory: string, why: string) =>
  new PgliteDirectoryError({ directory, message: `${directory} is not an embedded Handover database (${why}): ${giveAnother}` })

/** A few of the names in a folder, for the user to recognise it: `minutes, readme.txt and 12 more`. */
const some = (names: ReadonlyArray<string>): string => {
  const sorted = [...names].sort()
  const shown = sorted.slice(0, sorted.length > 4 ? 3 : 4)
  const rest = sorted.length - shown.length
  return rest > 0 ? `${shown.join(", ")} and ${rest} more` : shown.length === 1 ? shown[0]! : `${shown.slice(0, -1).join(", ")} and ${shown.at(-1)}`
}

/** The nearest path above `directory` that exists: a folder, or the file that stands where a folder should be. */
const nearestExisting = (directory: string): { readonly path: string; readonly isFile: boolean } | undefined => {
  let current = path.dirname(path.resolve(directory))
  for (;;) {
    try {
      return { path: current, isFile: !statSync(current).isDirectory() }
    } catch {
      const parent = path.dirname(current)
      if (parent === current) return undefined
      current = parent
    }
  }
}

/**
 * What is wrong with a folder as the folder of an embedded database, or `undefined` when PGlite may open it: it does
 * not exist yet, it is empty, or it is a database of this PostgreSQL version. It reads only: nothing is made or
 * written.
 */
export const problem = (directory: string): PgliteDirectoryError | undefined => {
  let found
  try {
    found = statSync(directory)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === "ENOENT") return undefined
    const file = code === "ENOTDIR" ? nearestExisting(directory) : undefined
    return file?.isFile === true
      ? new PgliteDirectoryError({ directory, message: `${file.path} is a file, so ${directory} cannot be a folder: ${giveAnother}` })
      : new PgliteDirectoryError({ directory, message: `cannot read ${directory}: ${SystemError.reason(error)}` })
  }
  if (!found.isDirectory()) {
    return new PgliteDirectoryError({ directory, message: `${directory} is a file, not an embedded Handover database: ${giveAnother}` })
  }
  let names: ReadonlyArray<string>
  try {
    names = readdirSync(directory)
  } catch (error) {
    return new PgliteDirectoryError({ directory, message: `cannot read the folder ${directory}: ${SystemError.reason(error)}` })
  }
  if (names.length === 0) return undefined
  if (!names.includes("PG_VERSION")) {
    return notADatabase(directory, `it holds ${some(names)}, and no PG_VERSION`)
  }
  let written = ""
  try {
    written = readFileSync(path.join(directory, "PG_VERSION"), "utf8").trim()
  } catch {
    // unreadable, or not a file: it names no version
  }
  if (!/^\d+$/.test(written)) return notADatabase(directory, "its PG_VERSION names no PostgreSQL version")
  if (Number(written) !== postgresMajor) {
    return new PgliteDirectoryError({
      directory,
      message: `${directory} was written by PostgreSQL ${written}, and this Handover embeds ${embedded()}: ` +
        `open it with the Handover version that wrote it, or ${giveAnother}`
    })
  }
  return undefined
}

/**
 * Checks the folder of an embedded database before PGlite opens it (`undefined`: in memory, nothing to check):
 * rejects with a `PgliteDirectoryError` for a file, a path under a file, a folder of other files, and a database
 * written by another PostgreSQL version (see `problem`).
 */
export const check = async (directory: string | undefined): Promise<void> => {
  const found = directory === undefined ? undefined : problem(directory)
  if (found !== undefined) throw found
}

/**
 * The line to print when an embedded database could not be opened because of its folder: a folder `check` refuses
 * (whichever step of opening met it first), or a database of the right PostgreSQL version that PGlite still could
 * not start (its catalogue from another PGlite release, or damaged). `undefined` for any other failure, and for
 * other databases.
 */
export const openMessage = (url: ConnectionUrl, cause: unknown): string | undefined => {
  if (url.dialect !== "pglite" || url.dataDir === undefined) return undefined
  // the folder is looked at again whatever failed: whichever step of opening met a file or a foreign folder first
  const found = cause instanceof PgliteDirectoryError ? cause : problem(url.dataDir)
  if (found !== undefined) return `cannot open ${url.display}: ${found.message}`
  if (cause instanceof Error && /PGlite failed to initiali[sz]e/i.test(cause.message) && existsSync(path.join(url.dataDir, "PG_VERSION"))) {
    return `cannot open ${url.display}: ${embedded()} could not start the database in ${url.dataDir}; ` +
      `it may have been written by another PGlite version, or be damaged`
  }
  return undefined
}
