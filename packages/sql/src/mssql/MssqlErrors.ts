/**
 * Which SQL Server errors (from `mssql` and `tedious` underneath) mean the connection was lost, so that the work it
 * carried may be tried again on a new one: a socket error (`ESOCKET`), a closed connection (`ECONNCLOSED` from
 * `mssql`, `ECLOSE` from `tedious` when the connection closed before a request completed) and a timeout while
 * connecting (`ETIMEOUT` on a `ConnectionError`; the same code on a request is a query that ran too long, and would again).
 */

const closedCodes: ReadonlySet<string> = new Set(["ESOCKET", "ECONNCLOSED", "ECLOSE", "ECONNRESET", "EPIPE"])

/** Whether an error `mssql` or `tedious` raised means the connection was lost (checked through wrapped errors). */
export const isTransient = (error: unknown, depth = 0): boolean => {
  if (depth > 5 || typeof error !== "object" || error === null) return false
  if (error instanceof AggregateError) return error.errors.some((e) => isTransient(e, depth + 1))
  const code = (error as { code?: unknown }).code
  const name = (error as { name?: unknown }).name
  if (typeof code === "string" && closedCodes.has(code)) return true
  if (code === "ETIMEOUT" && name === "ConnectionError") return true
  return isTransient((error as { originalError?: unknown }).originalError, depth + 1) ||
    isTransient((error as { cause?: unknown }).cause, depth + 1)
}
