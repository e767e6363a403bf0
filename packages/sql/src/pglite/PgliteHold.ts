/**
 * The hold on an embedded database folder: a lock made beside it with `proper-lockfile` (`<folder>.lock`, a folder
 * whose creation is atomic), with `holder.json` in it naming the host, pid, command and start time of the process
 * that holds it. Every Handover process that opens the folder takes it first, so two never open one folder (PGlite
 * corrupts a folder two processes open).
 *
 * A lock whose holder has died on this host (no such process, or the pid now belongs to a process started later) is
 * taken over at once, under a second short lock (`<folder>.takeover.lock`) so that two newcomers cannot both take it
 * over, and the takeover is reported. The lock's age plays no part while its holder lives: a long query can keep an
 * embedded database busy for minutes. A lock made on another host (a shared folder) is never taken over.
 */
import lockfile from "proper-lockfile"
import { mkdir, readFile, realpath, rename, rm, stat, writeFile } from "node:fs/promises"
import { readFileSync } from "node:fs"
import { hostname } from "node:os"
import * as Hold from "../Hold.ts"

/** What `holder.json` records. */
interface Record extends Hold.Holder {
  /** The inode of the lock folder it was written in: a record left from an earlier lock is not this lock's. */
  readonly lock: number
  /** The holder process's start, in clock ticks since boot (Linux), so that a reused pid is not taken for it. */
  readonly started: string | null
}

/** A process's start time in clock ticks since boot, where the system says (Linux). */
const processStart = (pid: number): string | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // the fields after the command name, which is in parentheses and may hold spaces; the start is field 22
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null
  } catch {
    return null
  }
}

/** Whether the process that wrote a record still runs (on this host). */
export const alive = (record: Pick<Record, "pid" | "started">): boolean => {
  if (record.pid === null) return true
  try {
    process.kill(record.pid, 0)
  } catch (error) {
    // EPERM: a process of another user has the pid, so it is there
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
  if (record.started === null) return true
  const now = processStart(record.pid)
  return now === null || now === record.started
}

/** A lock with no record after this long was left by a process that died while taking it. */
const unrecordedGraceMillis = 30_000

/** proper-lockfile's own staleness is left unused (see above): its longest timer, about 23 days. */
const never = 2_000_000_000

export const lockPathOf = (folder: string) => `${folder}.lock`

const readRecord = async (lockPath: string): Promise<Record | undefined> => {
  try {
    const [text, folder] = await Promise.all([readFile(`${lockPath}/holder.json`, "utf8"), stat(lockPath)])
    const record = JSON.parse(text) as Record
    return record.lock === folder.ino ? record : undefined
  } catch {
    return undefined
  }
}

type State =
  | { readonly _tag: "recorded"; readonly record: Record }
  | { readonly _tag: "unrecorded"; readonly ageMillis: number }
  | { readonly _tag: "gone" }

const stateOnce = async (lockPath: string): Promise<State> => {
  const record = await readRecord(lockPath)
  if (record !== undefined) return { _tag: "recorded", record }
  try {
    return { _tag: "unrecorded", ageMillis: Date.now() - (await stat(lockPath)).mtimeMs }
  } catch {
    return { _tag: "gone" }
  }
}

/** The lock's state; a lock just made is given a moment for its holder to record itself. */
const stateOf = async (lockPath: string): Promise<State> => {
  let state = await stateOnce(lockPath)
  for (let i = 0; i < 40 && state._tag === "unrecorded" && state.ageMillis < 2_000; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25))
    state = await stateOnce(lockPath)
  }
  return state
}

const abandoned = (state: State, here: string) =>
  state._tag === "unrecorded"
    ? state.ageMillis > unrecordedGraceMillis
    : state._tag === "recorded" && state.record.host === here && !alive(state.record)

/**
 * Removes a lock whose holder is dead, under the takeover lock, after reading its record again there: of two
 * processes that both found it dead, the second finds the first one's lock (alive) and leaves it.
 */
const takeOver = async (folder: string, lockPath: string, seen: State, warn: ((message: string) => void) | undefined, display: string) => {
  const release = await lockfile.lock(folder, {
    lockfilePath: `${folder}.takeover.lock`,
    realpath: false,
    stale: 10_000,
    retries: { retries: 40, minTimeout: 25, maxTimeout: 250 }
  })
  try {
    const now = await stateOf(lockPath)
    const same = now._tag === seen._tag &&
      (now._tag !== "recorded" || (seen._tag === "recorded" && now.record.lock === seen.record.lock))
    if (!same || now._tag === "gone" || !abandoned(now, hostname())) return
    const aside = `${lockPath}.dead-${process.pid}-${Date.now()}`
    await rename(lockPath, aside)
    await rm(aside, { recursive: true, force: true })
    warn?.(
      now._tag === "recorded"
        ? `${display}: took over the hold of ${Hold.describe(now.record)}, which is no longer running`
        : `${display}: took over a hold left unrecorded for ${Math.round(now.ageMillis / 1000)} s by a command that did not finish starting`
    )
  } finally {
    await release()
  }
}

/** One attempt to take the hold on a folder (made when missing). */
export const attempt = async (folderGiven: string, request: Hold.Request, display: string): Promise<Hold.Attempt> => {
  // the files hold personal data: folders made here are readable by their owner only
  await mkdir(folderGiven, { recursive: true, mode: 0o700 })
  const folder = await realpath(folderGiven)
  const lockPath = lockPathOf(folder)
  const here = hostname()
  for (let round = 0; round < 2; round++) {
    let compromised: Error | undefined
    let release: (() => Promise<void>) | undefined
    try {
      release = await lockfile.lock(folder, {
        lockfilePath: lockPath,
        realpath: false,
        stale: never,
        update: never / 2,
        retries: 0,
        onCompromised: (error) => (compromised = error)
      })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error
      const state = await stateOf(lockPath)
      if (round === 0 && (state._tag === "gone" || abandoned(state, here))) {
        if (state._tag !== "gone") await takeOver(folder, lockPath, state, request.warn, display)
        continue
      }
      return state._tag === "recorded"
        ? {
          _tag: "Busy",
          holder: state.record,
          hint: state.record.host === here ? undefined : `if that process is gone, remove ${lockPath}`
        }
        : { _tag: "Busy", holder: undefined, hint: "a command that is starting" }
    }
    const holder = Hold.thisProcess(request.command)
    const ino = (await stat(lockPath)).ino
    const record: Record = { ...holder, lock: ino, started: processStart(process.pid) }
    await writeFile(`${lockPath}/holder.json.tmp`, JSON.stringify(record), { mode: 0o600 })
    await rename(`${lockPath}/holder.json.tmp`, `${lockPath}/holder.json`)
    const taken = release
    return {
      _tag: "Taken",
      active: {
        holder,
        verify: async () => {
          const now = await readRecord(lockPath)
          if (compromised !== undefined || now === undefined || now.lock !== ino || now.pid !== process.pid) {
            throw new Hold.HoldLost({
              message: `${display}: the hold on it was lost (${compromised?.message ?? "its lock was removed"}); nothing more is written. Run the command again to resume`
            })
          }
        },
        release: async () => {
          // the record first: proper-lockfile removes an empty lock folder only
          await rm(`${lockPath}/holder.json`, { force: true }).catch(() => undefined)
          await taken().catch(() => undefined)
        }
      }
    }
  }
  const state = await stateOf(lockPath)
  return { _tag: "Busy", holder: state._tag === "recorded" ? state.record : undefined }
}
