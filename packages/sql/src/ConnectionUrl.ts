/**
 * Database connection URLs: `postgres://`, `pglite://path` (or `pglite://memory`) and `mssql://`.
 * The password is held as a redacted value and never appears in a rendered URL.
 */
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { DialectName } from "./SqlDialect.ts"

export class InvalidConnectionUrl extends Schema.TaggedError<InvalidConnectionUrl>()("InvalidConnectionUrl", {
  message: Schema.String
}) {}

export type ConnectionUrl =
  | { readonly dialect: "postgres"; readonly connectionString: Redacted.Redacted<string>; readonly display: string }
  | { readonly dialect: "pglite"; readonly dataDir: string | undefined; readonly display: string }
  | {
    readonly dialect: "mssql"
    readonly server: string
    readonly port: number
    readonly database: string
    readonly user: string
    readonly password: Redacted.Redacted<string>
    readonly encrypt: boolean
    readonly trustServerCertificate: boolean
    readonly display: string
  }

const displayOf = (url: URL): string => {
  const copy = new URL(url.href)
  if (copy.password !== "") copy.password = "***"
  copy.searchParams.forEach((_, key) => {
    if (/password|pwd|secret|key/i.test(key)) copy.searchParams.set(key, "***")
  })
  return copy.href
}

const truthy = (value: string | null, fallback: boolean) =>
  value === null ? fallback : ["1", "true", "yes", "on"].includes(value.toLowerCase())

/** Parses a connection URL; the error names the problem but never repeats the URL (it may hold a password). */
export const parse = (text: string): ConnectionUrl => {
  const trimmed = text.trim()
  if (trimmed.startsWith("pglite:")) {
    const path = trimmed.slice("pglite:".length).replace(/^\/\//, "")
    return path === "" || path === "memory"
      ? { dialect: "pglite", dataDir: undefined, display: "pglite://memory" }
      : { dialect: "pglite", dataDir: path, display: `pglite://${path}` }
  }
  let url: URL
  try {
    url = new URL(trimmed)
  } catch {
    throw new InvalidConnectionUrl({
      message: "not a connection URL: expected postgres://…, mssql://… or pglite://path"
    })
  }
  switch (url.protocol) {
    case "postgres:":
    case "postgresql:":
      return { dialect: "postgres", connectionString: Redacted.make(trimmed), display: displayOf(url) }
    case "mssql:":
    case "sqlserver:": {
      const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || "master"
      return {
        dialect: "mssql",
        server: url.hostname,
        port: url.port === "" ? 1433 : Number(url.port),
        database,
        user: decodeURIComponent(url.username),
        password: Redacted.make(decodeURIComponent(url.password)),
        encrypt: truthy(url.searchParams.get("encrypt"), false),
        trustServerCertificate: truthy(url.searchParams.get("trustServerCertificate"), true),
        display: displayOf(url)
      }
    }
    default:
      throw new InvalidConnectionUrl({
        message: `unsupported database scheme ${url.protocol}//: expected postgres://, mssql:// or pglite://`
      })
  }
}

export const dialectOf = (url: ConnectionUrl): DialectName => url.dialect
