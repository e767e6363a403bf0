/**
 * Connection URLs: every scheme, SQL Server's defaults and flags, and a password that never shows.
 */
import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Redacted from "effect/Redacted"
import { inspect } from "node:util"
import * as ConnectionUrl from "../src/ConnectionUrl.ts"
import * as Database from "../src/Database.ts"

const parseError = (text: string): ConnectionUrl.InvalidConnectionUrl => {
  try {
    ConnectionUrl.parse(text)
  } catch (error) {
    assert.instanceOf(error, ConnectionUrl.InvalidConnectionUrl)
    return error as ConnectionUrl.InvalidConnectionUrl
  }
  return assert.fail(`parsed ${text}`)
}

/** Everything a parsed URL could show: its JSON, its string forms and Node's inspection. */
const renderings = (url: ConnectionUrl.ConnectionUrl): ReadonlyArray<string> => [
  JSON.stringify(url),
  String(url),
  `${Object.values(url).map(String).join(" ")}`,
  inspect(url, { depth: 5 }),
  url.display
]

describe("ConnectionUrl.parse", () => {
  it("reads postgres:// and postgresql:// URLs, keeping the whole URL as a redacted connection string", () => {
    for (const scheme of ["postgres", "postgresql"]) {
      const text = `${scheme}://app:s3cret@db.example:5433/estate?sslmode=require`
      const url = ConnectionUrl.parse(`  ${text}\n`)
      assert.strictEqual(url.dialect, "postgres")
      if (url.dialect !== "postgres") return
      assert.strictEqual(Redacted.value(url.connectionString), text)
      assert.strictEqual(url.display, `${scheme}://app:***@db.example:5433/estate?sslmode=require`)
      assert.strictEqual(ConnectionUrl.dialectOf(url), "postgres")
    }
  })

  it("masks password-like query parameters in the display", () => {
    const url = ConnectionUrl.parse("postgres://db.example/estate?user=app&password=s3cret&sslkey=k3y&sslmode=require")
    assert.strictEqual(url.display, "postgres://db.example/estate?user=app&password=***&sslkey=***&sslmode=require")
  })

  it("reads mssql:// and sqlserver:// URLs with SQL Server's defaults", () => {
    for (const scheme of ["mssql", "sqlserver"]) {
      const url = ConnectionUrl.parse(`${scheme}://sa:pw@legacy-db`)
      assert.deepStrictEqual({ ...url, password: undefined }, {
        dialect: "mssql",
        server: "legacy-db",
        port: 1433,
        database: "master",
        user: "sa",
        password: undefined,
        encrypt: false,
        trustServerCertificate: true,
        display: `${scheme}://sa:***@legacy-db`
      })
      assert.strictEqual(ConnectionUrl.dialectOf(url), "mssql")
    }
  })

  it("reads SQL Server's port, database, encoded credentials and flags", () => {
    const url = ConnectionUrl.parse("mssql://care%20admin:p%40ss%3Aw%2Frd@10.0.0.5:14333/Legacy%20Care?encrypt=true&trustServerCertificate=false")
    assert.strictEqual(url.dialect, "mssql")
    if (url.dialect !== "mssql") return
    assert.strictEqual(url.server, "10.0.0.5")
    assert.strictEqual(url.port, 14333)
    assert.strictEqual(url.database, "Legacy Care")
    assert.strictEqual(url.user, "care admin")
    assert.strictEqual(Redacted.value(url.password), "p@ss:w/rd")
    assert.isTrue(url.encrypt)
    assert.isFalse(url.trustServerCertificate)
    assert.strictEqual(url.display, "mssql://care%20admin:***@10.0.0.5:14333/Legacy%20Care?encrypt=true&trustServerCertificate=false")
  })

  it("takes 1, true, yes and on (any case) as true and anything else as false", () => {
    const flags = (query: string) => {
      const url = ConnectionUrl.parse(`mssql://sa:pw@h/db?${query}`)
      return url.dialect === "mssql" ? [url.encrypt, url.trustServerCertificate] : []
    }
    assert.deepStrictEqual(flags("encrypt=1&trustServerCertificate=0"), [true, false])
    assert.deepStrictEqual(flags("encrypt=YES&trustServerCertificate=no"), [true, false])
    assert.deepStrictEqual(flags("encrypt=On&trustServerCertificate=TRUE"), [true, true])
    assert.deepStrictEqual(flags("encrypt=false"), [false, true])
  })

  it("reads pglite URLs: memory, a relative or absolute folder", () => {
    const memory: ConnectionUrl.ConnectionUrl = { dialect: "pglite", dataDir: undefined, display: "pglite://memory" }
    assert.deepStrictEqual(ConnectionUrl.parse("pglite://memory"), memory)
    assert.deepStrictEqual(ConnectionUrl.parse("pglite:"), memory)
    assert.deepStrictEqual(ConnectionUrl.parse("pglite://"), memory)
    assert.deepStrictEqual(ConnectionUrl.parse("pglite://some/dir"), { dialect: "pglite", dataDir: "some/dir", display: "pglite://some/dir" })
    assert.deepStrictEqual(ConnectionUrl.parse("pglite:///var/lib/handover"), {
      dialect: "pglite",
      dataDir: "/var/lib/handover",
      display: "pglite:///var/lib/handover"
    })
    assert.strictEqual(ConnectionUrl.dialectOf(ConnectionUrl.parse("pglite://memory")), "pglite")
  })

  it("refuses text that is not a URL without repeating it", () => {
    for (const text of ["postgres://app:s3cret@db.example:port/estate", "http://[s3cret", "", "s3cret"]) {
      const error = parseError(text)
      assert.strictEqual(error._tag, "InvalidConnectionUrl")
      assert.match(error.message, /not a connection URL/)
      assert.notInclude(error.message, "s3cret")
    }
  })

  it("refuses an unknown scheme, naming the scheme but not the password", () => {
    for (const [text, scheme] of [["mysql://root:s3cret@db.example/estate", "mysql:"], ["app:s3cret@db.example/estate", "app:"]]) {
      const error = parseError(text!)
      assert.strictEqual(error._tag, "InvalidConnectionUrl")
      assert.include(error.message, `unsupported database scheme ${scheme}`)
      assert.notInclude(error.message, "s3cret")
      assert.notInclude(String(error), "s3cret")
    }
  })
})

describe("Database.openUrl", () => {
  it("fails with InvalidConnectionUrl, never with the password, for URLs it cannot parse", async () => {
    for (const text of ["mysql://root:s3cret@db/estate", "mssql://sa:s3cret%E0%A4%A@db/estate", "nonsense s3cret"]) {
      const exit = await Effect.runPromiseExit(Effect.scoped(Database.openUrl(text)))
      assert.isTrue(Exit.isFailure(exit), text)
      if (!Exit.isFailure(exit)) return
      const error = Cause.squash(exit.cause)
      assert.instanceOf(error, ConnectionUrl.InvalidConnectionUrl, text)
      assert.notInclude(String(error), "s3cret")
      assert.notInclude(JSON.stringify(error), "s3cret")
    }
  })
})

/** A password with a prefix found nowhere else in the URLs below, so that finding it in a rendering is a leak. */
const password = fc.string({ unit: "binary", minLength: 0, maxLength: 24 }).map((s) => `Zq${s}`)

/** The forms a password can take in a URL. */
const forms = (secret: string, url: string): ReadonlyArray<string> => {
  const inUrl = new URL(url).password
  return [secret, encodeURIComponent(secret), new URLSearchParams({ p: secret }).toString().slice(2), ...(inUrl === "" ? [] : [inUrl])]
}

describe("passwords", () => {
  test.prop([password, fc.constantFrom("postgres", "postgresql", "mssql", "sqlserver")], { numRuns: 300 })(
    "never appear in the display, and are redacted in the parsed value",
    (secret, scheme) => {
      const text = `${scheme}://app:${encodeURIComponent(secret)}@db.example:1234/estate`
      const url = ConnectionUrl.parse(text)
      assert.strictEqual(url.display, `${scheme}://app:***@db.example:1234/estate`)
      for (const rendering of renderings(url)) {
        for (const form of forms(secret, text)) assert.notInclude(rendering, form)
      }
      // the value is still there for the driver
      if (url.dialect === "mssql") assert.strictEqual(Redacted.value(url.password), secret)
      if (url.dialect === "postgres") assert.strictEqual(Redacted.value(url.connectionString), text)
    }
  )

  test.prop([password, fc.constantFrom("password", "PWD", "client_secret", "sslkey")], { numRuns: 200 })(
    "given as a query parameter never appear in the display either",
    (secret, key) => {
      const query = new URLSearchParams([["user", "app"], [key, secret]]).toString()
      const text = `postgres://db.example/estate?${query}`
      const url = ConnectionUrl.parse(text)
      for (const rendering of renderings(url)) {
        for (const form of forms(secret, text)) assert.notInclude(rendering, form)
      }
      assert.strictEqual(new URL(url.display).searchParams.get(key), "***")
    }
  )
})
