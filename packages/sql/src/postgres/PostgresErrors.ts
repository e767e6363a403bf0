/**
 * Which PostgreSQL errors mean the connection was lost, so that the work it carried may be tried again on a new one:
 * SQLSTATE class 08 (connection exception), 57P01 (the server was shut down by an administrator, or the backend was
 * terminated), 57P02 (crash shutdown), 57P03 (the server cannot connect now), and the socket errors `pg` reports when
 * the server or the network closed the connection. Anything else — a constraint, a syntax error, a missing database —
 * would fail the same way again.
 *
 * Apart from those, which errors mean the server cannot be reached now but may be soon: a connection refused (nothing
 * listening: the server stopped, or not yet started again) and 57P03 (starting up, shutting down, in recovery) — what
 * a new connection meets while the server restarts. Refused is not a lost connection: at the start of a command it
 * means a wrong port or a server that is not there.
 */

/** SQLSTATEs of a lost connection outside class 08. */
const lostConnectionStates: ReadonlySet<string> = new Set(["57P01", "57P02", "57P03"])

/** Socket errors of a connection the server or the network closed. */
const socketCodes: ReadonlySet<string> = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED"])

/** What `pg` says when a connection ended under it, or when a client is used after its connection failed. */
const lostConnectionMessages: ReadonlyArray<RegExp> = [
  /^Connection terminated/,
  /connection error and is not queryable/,
  /^Client was closed and is not queryable/
]

/** SQLSTATEs of a server that takes no connections now: starting up, shutting down, in recovery. */
const unavailableStates: ReadonlySet<string> = new Set(["57P03"])

/** Socket errors of a server that is not listening: stopped, or not yet started again. */
const unavailableSocketCodes: ReadonlySet<string> = new Set(["ECONNREFUSED"])

/** Whether a SQLSTATE means the connection was lost. */
export const isLostConnectionState = (sqlState: string): boolean =>
  sqlState.startsWith("08") || lostConnectionStates.has(sqlState)

/** Whether an error `pg` raised means the connection was lost (checked through `cause` and aggregated errors). */
export const isTransient = (error: unknown, depth = 0): boolean => {
  if (depth > 5 || typeof error !== "object" || error === null) return false
  if (error instanceof AggregateError) return error.errors.some((e) => isTransient(e, depth + 1))
  const code = (error as { code?: unknown }).code
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && isLostConnectionState(code)) return true
  if (typeof code === "string" && socketCodes.has(code)) return true
  const message = (error as { message?: unknown }).message
  if (typeof message === "string" && lostConnectionMessages.some((m) => m.test(message))) return true
  return isTransient((error as { cause?: unknown }).cause, depth + 1)
}

/**
 * Whether an error `pg` raised means the server cannot be reached now — it refuses connections or is starting up or
 * shutting down, as in a restart (checked through `cause` and aggregated errors).
 */
export const isUnavailable = (error: unknown, depth = 0): boolean => {
  if (depth > 5 || typeof error !== "object" || error === null) return false
  if (error instanceof AggregateError) return error.errors.some((e) => isUnavailable(e, depth + 1))
  const code = (error as { code?: unknown }).code
  if (typeof code === "string" && (unavailableStates.has(code) || unavailableSocketCodes.has(code))) return true
  return isUnavailable((error as { cause?: unknown }).cause, depth + 1)
}
