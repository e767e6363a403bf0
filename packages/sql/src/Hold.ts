/**
 * An exclusive hold on a database for the length of one command, so that two commands never write to one target (or
 * one embedded folder) at once: a second command stops at once with one line naming the holder, or waits for it.
 *
 * Each dialect holds in its own way, behind the same contract:
 * - PGlite (`pglite/PgliteHold.ts`): a lock beside the data folder (`<folder>.lock`, made with `proper-lockfile`)
 *   that any other Handover process sees, with the holder's host, pid, command and start time written in it. Any
 *   command that opens the folder takes it, a reading one too: one process only may open an embedded database. A lock
 *   whose process has died on the same host is taken over at once, and the takeover is logged.
 * - PostgreSQL (`postgres/PostgresHold.ts`): a session-level advisory lock keyed on what is held (the control
 *   schema), on a connection of its own kept for the whole command.
 * - SQL Server (`mssql/MssqlHold.ts`): `sp_getapplock` owned by a session of its own, with the same meaning.
 *
 * Every transaction a held database commits checks the hold first (`Active.verify`): a hold whose connection was lost
 * (the server restarted, an administrator ended it) is taken again on a new connection before anything else commits,
 * or, when another command has it by then, the command stops.
 */
import * as Schema from "effect/Schema"
import { hostname } from "node:os"
import type { Connection } from "./Driver.ts"

/** Who holds a database: the command, its process and host, and since when. */
export interface Holder {
  readonly command: string
  readonly pid: number | null
  readonly host: string | null
  /** ISO 8601, or null when the database does not say. */
  readonly since: string | null
}

export interface Request {
  /** The command taking the hold, as the user typed it (`migrate`, `report`…). */
  readonly command: string
  /** What is held on a server: a name unique to the schema written (the control schema of a target). */
  readonly key: string
  /**
   * `write`: held on every dialect. `read`: held only where reading needs it too, an embedded folder (one process
   * per PGlite folder); a server serves readers alongside a writer.
   */
  readonly mode: "write" | "read"
  /** Seconds to wait for a holder to finish before giving up; 0 gives up at once. */
  readonly waitSeconds: number
  /** Where waits, takeovers and holds taken again are reported. */
  readonly warn?: ((message: string) => void) | undefined
}

/** Another command holds the database. */
export class HeldElsewhere extends Schema.TaggedError<HeldElsewhere>()("HeldElsewhere", {
  message: Schema.String
}) {}

/** The hold was lost part way and another command has the database now: nothing more may be written. */
export class HoldLost extends Schema.TaggedError<HoldLost>()("HoldLost", {
  message: Schema.String
}) {}

/** A hold taken. */
export interface Active {
  readonly holder: Holder
  /**
   * Checks, inside a transaction about to commit, that the hold is still this command's; takes it again when its
   * connection was lost. Rejects with `HoldLost` when another command has it, or with the connection error when the
   * server cannot be reached (a lost connection, which the batch's own retry handles).
   */
  readonly verify: (connection: Connection) => Promise<void>
  readonly release: () => Promise<void>
}

/** One attempt to take a hold: taken, or held by someone else (unknown when the database cannot say). */
export type Attempt =
  | { readonly _tag: "Taken"; readonly active: Active }
  | { readonly _tag: "Busy"; readonly holder: Holder | undefined; readonly hint?: string | undefined }

/** This process, as a holder. */
export const thisProcess = (command: string): Holder => ({
  command,
  pid: process.pid,
  host: hostname(),
  since: new Date().toISOString()
})

/** `handover migrate (pid 4242 on host, since 2026-12-06T01:02:03Z)`. */
export const describe = (holder: Holder | undefined): string => {
  if (holder === undefined) return "another Handover command"
  const where = [holder.pid === null ? undefined : `pid ${holder.pid}`, holder.host === null ? undefined : `on ${holder.host}`]
    .filter((part) => part !== undefined)
    .join(" ")
  const since = holder.since === null ? "" : `${where === "" ? "" : ", "}since ${holder.since.replace(/\.\d+Z$/, "Z")}`
  return `handover ${holder.command}${where === "" && since === "" ? "" : ` (${where}${since})`}`
}

/** The one line a command stops with when another holds its database. */
export const heldMessage = (display: string, holder: Holder | undefined, waitSeconds: number, hint?: string): string =>
  `${display} is in use by ${describe(holder)}${waitSeconds > 0 ? `, still after waiting ${waitSeconds} s` : ""}; ` +
  `wait for it to finish, or run again with --wait SECONDS${hint === undefined ? "" : ` (${hint})`}`

/** How often a waiting command asks again. */
const pollMillis = 250

/**
 * Takes a hold by asking again until it is taken or the wait is over; reports the first wait. Rejects with
 * `HeldElsewhere` naming the holder when the wait is over.
 */
export const acquire = async (display: string, request: Request, attempt: () => Promise<Attempt>): Promise<Active> => {
  const deadline = Date.now() + Math.max(0, request.waitSeconds) * 1000
  let reported = false
  for (;;) {
    const result = await attempt()
    if (result._tag === "Taken") {
      if (reported) request.warn?.(`${display}: the hold is free, going on`)
      return result.active
    }
    if (Date.now() + pollMillis > deadline) {
      throw new HeldElsewhere({ message: heldMessage(display, result.holder, request.waitSeconds, result.hint) })
    }
    if (!reported) {
      reported = true
      request.warn?.(`${display} is in use by ${describe(result.holder)}; waiting up to ${request.waitSeconds} s for it`)
    }
    await new Promise((resolve) => setTimeout(resolve, pollMillis))
  }
}

/** A 31-bit FNV-1a hash of a text: the second half of an advisory lock's key. */
export const keyNumber = (text: string): number => {
  let hash = 0x811c9dc5
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) & 0x7fffffff
}

/** The first half of every advisory lock key Handover takes ("HAND"). */
export const keySpace = 0x48414e44

/** The name a server session of a holder carries, from which another command reads who holds: at most 63 bytes. */
export const sessionName = (holder: Holder): string => {
  const head = `handover ${holder.command} ${holder.pid ?? 0}@`
  const room = Math.max(0, 63 - Buffer.byteLength(head))
  let host = holder.host ?? ""
  while (Buffer.byteLength(host) > room) host = host.slice(0, -1)
  return head + host
}

/** The holder a session name describes, with the session's start; undefined for a name Handover did not give. */
export const parseSessionName = (name: string | null | undefined, since: string | null): Holder | undefined => {
  const match = /^handover (\S+) (\d+)@(.*)$/.exec(name ?? "")
  if (match === null) return undefined
  return { command: match[1]!, pid: Number(match[2]), host: match[3] === "" ? null : match[3]!, since }
}
