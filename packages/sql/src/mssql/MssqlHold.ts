/**
 * The hold on a SQL Server database: an exclusive application lock owned by a session of its own
 * (`sp_getapplock … @LockOwner = 'Session'`), kept for the whole command; the server releases it when the session
 * ends. The session's program name names the holder (`handover migrate 4242@host`) and its login time says since when;
 * reading who holds it needs VIEW SERVER STATE (VIEW SERVER PERFORMANCE STATE from SQL Server 2022), without which a
 * second command says only that another session holds it.
 */
import mssql from "mssql"
import * as Hold from "../Hold.ts"
import { type Options, poolConfig } from "./MssqlDriver.ts"

/** The application lock's resource name. */
export const resourceOf = (key: string) => `handover:${key}`

/** Takes the lock without waiting; `result` is 0 when granted, negative when another session holds it. */
export const takeSql =
  "DECLARE @result int; " +
  "EXEC @result = sp_getapplock @Resource = @p1, @LockMode = N'Exclusive', @LockOwner = N'Session', @LockTimeout = 0, @DbPrincipal = N'public'; " +
  "SELECT @result AS result;"

/** The mode in which this session holds the lock: `Exclusive` while held. */
export const modeSql = "SELECT APPLOCK_MODE(N'public', @p1, N'Session') AS mode;"

/**
 * The session holding the lock: its program name and login time. The lock's description carries the resource name
 * (its first 32 characters) in brackets.
 */
export const holderSql =
  "SELECT TOP (1) s.program_name, CONVERT(nvarchar(33), s.login_time, 126) AS since " +
  "FROM sys.dm_tran_locks AS l JOIN sys.dm_exec_sessions AS s ON s.session_id = l.request_session_id " +
  "WHERE l.resource_type = N'APPLICATION' AND l.request_mode = N'X' AND l.request_status = N'GRANT' " +
  "AND l.resource_database_id = DB_ID() AND CHARINDEX(@p1, l.resource_description) > 0;"

export const releaseSql = "EXEC sp_releaseapplock @Resource = @p1, @LockOwner = N'Session', @DbPrincipal = N'public';"

/** What a lock's description holds of its resource name. */
export const describedAs = (resource: string) => `[${resource.slice(0, 32)}]`

const session = async (options: Options, holder: Hold.Holder): Promise<mssql.ConnectionPool> => {
  // one connection, never recycled while the command runs: the lock belongs to it
  const pool = new mssql.ConnectionPool(poolConfig(options, { min: 1, max: 1, idleTimeoutMillis: 2_000_000_000 }, Hold.sessionName(holder)))
  pool.on("error", () => {})
  await pool.connect()
  return pool
}

const one = async (pool: mssql.ConnectionPool, sql: string, resource: string) =>
  (await pool.request().input("p1", mssql.NVarChar(255), resource).query(sql)).recordset?.[0] as Record<string, unknown> | undefined

const holderOf = async (pool: mssql.ConnectionPool, resource: string): Promise<Hold.Holder | undefined> => {
  try {
    const row = await one(pool, holderSql, describedAs(resource))
    if (row === undefined) return undefined
    const since = row.since === null || row.since === undefined ? null : `${String(row.since).slice(0, 19)}`
    return Hold.parseSessionName(String(row.program_name ?? ""), since) ??
      { command: "(not Handover: a session of another program)", pid: null, host: null, since }
  } catch {
    // no right to read the server's sessions
    return undefined
  }
}

/** One attempt to take the hold on a SQL Server database. */
export const attempt = async (options: Options, request: Hold.Request, display: string): Promise<Hold.Attempt> => {
  const resource = resourceOf(request.key)
  const holder = Hold.thisProcess(request.command)
  const trySession = async () => {
    const pool = await session(options, holder)
    try {
      const result = Number((await one(pool, takeSql, resource))?.result ?? -999)
      if (result >= 0) return { _tag: "Taken" as const, pool }
      const other = await holderOf(pool, resource)
      await pool.close().catch(() => undefined)
      return { _tag: "Busy" as const, holder: other }
    } catch (error) {
      await pool.close().catch(() => undefined)
      throw error
    }
  }
  const first = await trySession()
  if (first._tag === "Busy") return { _tag: "Busy", holder: first.holder }
  let pool = first.pool
  let retaking: Promise<void> | undefined
  const held = async () => {
    try {
      return (await one(pool, modeSql, resource))?.mode === "Exclusive"
    } catch {
      return false
    }
  }
  const retake = async () => {
    await pool.close().catch(() => undefined)
    const again = await trySession()
    if (again._tag === "Busy") {
      throw new Hold.HoldLost({ message: `${display}: the hold on it was lost and ${Hold.describe(again.holder)} has it now; nothing more is written` })
    }
    pool = again.pool
    request.warn?.(`${display}: the hold on it was lost and has been taken again`)
  }
  return {
    _tag: "Taken",
    active: {
      holder,
      // asked of the holding session itself: reading another session's locks needs a server permission
      verify: async () => {
        if (await held()) return
        retaking ??= retake().finally(() => (retaking = undefined))
        await retaking
      },
      release: async () => {
        await one(pool, releaseSql, resource).catch(() => undefined)
        await pool.close().catch(() => undefined)
      }
    }
  }
}
