/**
 * The hold on a PostgreSQL database: a session-level advisory lock (`pg_try_advisory_lock(space, key)`, the key a
 * hash of what is held) on a connection of its own, kept open for the whole command. The connection's
 * `application_name` names the holder (`handover migrate 4242@host`), and its `backend_start` says since when, so a
 * second command can say who holds the database. The server releases the lock when the connection ends, a killed
 * process's included.
 */
import pg from "pg"
import type { Connection } from "../Driver.ts"
import * as Hold from "../Hold.ts"

/** Takes the lock without waiting; true when taken. */
export const takeSql = "SELECT pg_try_advisory_lock($1::int, $2::int) AS taken"

/** Whether the session with the given pid holds the lock: asked inside a transaction about to commit. */
export const heldBySql =
  "SELECT COUNT(*)::int AS held FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = $1::int " +
  "AND classid = $2::int::oid AND objid = $3::int::oid AND objsubid = 2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"

/** The session that holds the lock: its name and start. */
export const holderSql =
  "SELECT a.application_name, to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS since, l.pid " +
  "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted " +
  "AND l.classid = $1::int::oid AND l.objid = $2::int::oid AND l.objsubid = 2 " +
  "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"

export const releaseSql = "SELECT pg_advisory_unlock($1::int, $2::int)"

interface Session {
  readonly client: pg.Client
  readonly pid: number
  lost: Error | undefined
}

const connect = async (connectionString: string, holder: Hold.Holder): Promise<pg.Client> => {
  const client = new pg.Client({ connectionString, application_name: Hold.sessionName(holder), connectionTimeoutMillis: 60_000 })
  // a lost connection is noticed by the next check, not thrown at the process
  client.on("error", () => {})
  await client.connect()
  return client
}

const holderOf = async (client: pg.Client, key: number): Promise<Hold.Holder | undefined> => {
  const row = (await client.query<{ application_name: string | null; since: string | null; pid: number }>(holderSql, [Hold.keySpace, key])).rows[0]
  if (row === undefined) return undefined
  return Hold.parseSessionName(row.application_name, row.since) ??
    { command: "(not Handover: a session of another program)", pid: null, host: null, since: row.since }
}

/** A session holding the lock, or who holds it. */
const trySession = async (
  connectionString: string,
  holder: Hold.Holder,
  key: number
): Promise<{ readonly _tag: "Taken"; readonly session: Session } | { readonly _tag: "Busy"; readonly holder: Hold.Holder | undefined }> => {
  const client = await connect(connectionString, holder)
  try {
    const taken = (await client.query<{ taken: boolean }>(takeSql, [Hold.keySpace, key])).rows[0]?.taken === true
    if (!taken) {
      const other = await holderOf(client, key)
      await client.end().catch(() => undefined)
      return { _tag: "Busy", holder: other }
    }
    const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid
    const session: Session = { client, pid, lost: undefined }
    client.on("error", (error) => (session.lost = error))
    client.on("end", () => (session.lost ??= new Error("the connection ended")))
    return { _tag: "Taken", session }
  } catch (error) {
    await client.end().catch(() => undefined)
    throw error
  }
}

/** One attempt to take the hold on the database of a connection string. */
export const attempt = async (connectionString: string, request: Hold.Request, display: string): Promise<Hold.Attempt> => {
  const key = Hold.keyNumber(request.key)
  const holder = Hold.thisProcess(request.command)
  const first = await trySession(connectionString, holder, key)
  if (first._tag === "Busy") return { _tag: "Busy", holder: first.holder }
  let session = first.session
  let retaking: Promise<void> | undefined
  /** A new connection takes the lock again; another command holding it by now ends the command. */
  const retake = async () => {
    const reason = session.lost?.message ?? "its session no longer holds it"
    await session.client.end().catch(() => undefined)
    const again = await trySession(connectionString, holder, key)
    if (again._tag === "Busy") {
      throw new Hold.HoldLost({
        message: `${display}: the hold on it was lost (${reason}) and ${Hold.describe(again.holder)} has it now; nothing more is written`
      })
    }
    session = again.session
    request.warn?.(`${display}: the hold on it was lost (${reason}) and has been taken again`)
  }
  return {
    _tag: "Taken",
    active: {
      holder,
      verify: async (connection: Connection) => {
        const rows = await connection.query(heldBySql, [session.pid, Hold.keySpace, key])
        if (Number(rows[0]?.held ?? 0) === 1) return
        retaking ??= retake().finally(() => (retaking = undefined))
        await retaking
        const again = await connection.query(heldBySql, [session.pid, Hold.keySpace, key])
        if (Number(again[0]?.held ?? 0) !== 1) {
          throw new Hold.HoldLost({ message: `${display}: the hold on it could not be taken again; nothing more is written` })
        }
      },
      release: async () => {
        await session.client.query(releaseSql, [Hold.keySpace, key]).catch(() => undefined)
        await session.client.end().catch(() => undefined)
      }
    }
  }
}
