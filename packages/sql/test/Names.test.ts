/**
 * Configured names, without a database: which names of schemas Handover creates are refused and how the refusal
 * reads; the catalogue lookups of every dialect carry names only as parameters; and a name that reaches SQL text is
 * quoted so that it reads back as itself, T-SQL's `EXEC(N'CREATE SCHEMA [...]')` included, whose name is quoted twice.
 */
import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as MssqlSql from "../src/mssql/MssqlSql.ts"
import * as Names from "../src/Names.ts"
import * as PostgresSql from "../src/postgres/PostgresSql.ts"

const tsql = MssqlSql.dialect
const postgres = PostgresSql.make("postgres")

// the same list the database tests use (kept here too: this package's tests depend on no other package)
const hostile = [
  "ias\"; DROP TABLE canary; --", "ias'; DROP TABLE canary; --", "ias]; DROP TABLE canary; --", "ias;", "ias--", "\"ias\"", "[ias]",
  "ias x", "ias.canary", "ias\n", "ias\u0000", "ias\u200b", "\u0456as", "i\u0430s", "\uff49\uff41\uff53", "ïas", "IAS", "1ias", "ias$1",
  "", "a".repeat(64), "pg_catalog", "pg_toast", "information_schema", "sys", "db_owner"
]

/** Reads a T-SQL `N'...'` literal at the start of `text`: its value and what follows it. */
const readNString = (text: string): { value: string; rest: string } => {
  assert.isTrue(text.startsWith("N'"), text)
  let value = ""
  let i = 2
  for (;;) {
    const quote = text.indexOf("'", i)
    assert.notStrictEqual(quote, -1, `unterminated literal in ${text}`)
    value += text.slice(i, quote)
    if (text[quote + 1] === "'") {
      value += "'"
      i = quote + 2
    } else return { value, rest: text.slice(quote + 1) }
  }
}

/** Reads a T-SQL `[...]` identifier that makes up the whole of `text`. */
const readBracketed = (text: string): string => {
  assert.isTrue(text.startsWith("[") && text.endsWith("]"), text)
  const inner = text.slice(1, -1)
  assert.notMatch(inner.replaceAll("]]", ""), /\]/, `a bracket closes the identifier early in ${text}`)
  return inner.replaceAll("]]", "]")
}

describe("names of schemas Handover creates", () => {
  it("plain lower-case identifiers pass", () => {
    for (const name of ["ias", "handover", "example", "_x", "trial_3_target", "a".repeat(63)]) {
      assert.isUndefined(Names.problemOfNew(name), name)
      assert.strictEqual(Effect.runSync(Names.created("target schema", name)), name)
    }
  })

  it("every hostile name is refused with a message that names what and why, showing the name escaped", () => {
    for (const name of hostile) {
      const exit = Effect.runSyncExit(Names.created("target schema", name))
      assert.isTrue(Exit.isFailure(exit), JSON.stringify(name))
      if (Exit.isSuccess(exit)) continue
      const error = exit.cause.reasons[0]
      const message = String((error as { error?: { message?: unknown } })?.error?.message ?? "")
      assert.match(message, /^the target schema ".*" (must be|is a schema of the database system)/, message)
      // the message itself is plain: no control characters or look-alikes to mislead whoever reads it
      assert.match(message, /^[\x20-\x7e]*$/, message)
    }
  })

  test.prop([fc.string({ maxLength: 70 })])("only names of the plain pattern pass", (name) => {
    assert.strictEqual(Names.problemOfNew(name) === undefined, /^[a-z_][a-z0-9_]{0,62}$/.test(name) && !/^(pg_|information_schema$|sys$|db_|guest$)/.test(name))
  })
})

describe("catalogue lookups", () => {
  test.prop([fc.string({ minLength: 1, maxLength: 60 }), fc.array(fc.string({ minLength: 1, maxLength: 60 }), { minLength: 1, maxLength: 5 })])(
    "carry the names as parameters, never in the SQL text, on every dialect",
    (schema, tables) => {
      for (const dialect of ["postgres", "pglite", "mssql"] as const) {
        const catalogue = Names.catalogue(dialect)
        const one = catalogue.schemaExists(schema)
        assert.deepStrictEqual(one.params, [schema])
        assert.strictEqual(one.sql, catalogue.schemaExists("other").sql)
        const inSchema = catalogue.tablesIn(schema, tables)
        assert.deepStrictEqual(inSchema.params, [schema, ...tables])
        assert.strictEqual(inSchema.sql, catalogue.tablesIn("other", tables.map(() => "t")).sql)
        const inDefault = catalogue.tablesIn(undefined, tables)
        assert.deepStrictEqual(inDefault.params, tables)
        assert.strictEqual(inDefault.sql, catalogue.tablesIn(undefined, tables.map(() => "t")).sql)
      }
    }
  )

  test.prop([fc.string({ minLength: 1, maxLength: 60 }), fc.string({ minLength: 1, maxLength: 60 })])(
    "the primary key and column lookups carry their names as parameters too",
    (schema, table) => {
      for (const dialect of ["postgres", "mssql"] as const) {
        for (const lookupOf of [Names.catalogue(dialect).primaryKey, Names.catalogue(dialect).columns]) {
          const lookup = lookupOf(schema, table)
          assert.deepStrictEqual(lookup.params, [schema, table])
          assert.strictEqual(lookup.sql, lookupOf("s", "t").sql)
          assert.deepStrictEqual(lookupOf(undefined, table).params, [null, table])
        }
      }
    }
  )

  it("the key's columns come in the key's order, the table's columns in theirs", () => {
    assert.include(Names.catalogue("postgres").primaryKey("s", "t").sql, "ORDER BY array_position(i.indkey::int2[], a.attnum)")
    assert.include(Names.catalogue("mssql").primaryKey("s", "t").sql, "ORDER BY ic.key_ordinal")
    assert.include(Names.catalogue("postgres").columns("s", "t").sql, "ORDER BY ordinal_position")
    assert.include(Names.catalogue("mssql").columns("s", "t").sql, "INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = COALESCE(@1, SCHEMA_NAME()) AND TABLE_NAME = @2 ORDER BY ORDINAL_POSITION")
  })

  it("the search for repeated keys quotes the table and key names it was given", () => {
    assert.strictEqual(
      Names.catalogue("postgres").keyProblems({ schema: "leg\"acy", name: "t" }, ["a", "b\"c"]),
      "SELECT \"a\", \"b\"\"c\" FROM \"leg\"\"acy\".\"t\" GROUP BY \"a\", \"b\"\"c\" HAVING COUNT(*) > 1 OR \"a\" IS NULL OR \"b\"\"c\" IS NULL LIMIT 5"
    )
    assert.strictEqual(
      Names.catalogue("mssql").keyProblems({ schema: "leg]acy", name: "t" }, ["a"]),
      "SELECT TOP (5) CONVERT(nvarchar(max), [a], 126) FROM [leg]]acy].[t] GROUP BY [a] HAVING COUNT(*) > 1 OR [a] IS NULL"
    )
  })

  it("ask each dialect's own catalogue", () => {
    assert.include(Names.catalogue("postgres").schemaExists("x").sql, "pg_catalog.pg_namespace")
    assert.include(Names.catalogue("pglite").tablesIn("x", ["t"]).sql, "information_schema.tables")
    assert.include(Names.catalogue("mssql").schemaExists("x").sql, "sys.schemas")
    assert.include(Names.catalogue("mssql").tablesIn(undefined, ["t"]).sql, "SCHEMA_NAME()")
    assert.include(Names.catalogue("mssql").tablesIn("x", ["t", "u"]).sql, "IN (@2, @3)")
    assert.include(Names.catalogue("postgres").tablesIn("x", ["t", "u"]).sql, "IN ($2, $3)")
  })
})

describe("quoting names into SQL text", () => {
  test.prop([fc.oneof(fc.constantFrom(...hostile.filter((n) => n !== "")), fc.string({ minLength: 1, maxLength: 40 }))])(
    "T-SQL CREATE SCHEMA inside EXEC reads back as the name: the literal and the identifier are each escaped",
    (name) => {
      const statement = tsql.createSchema(name)
      const guard = /^IF SCHEMA_ID\((.*)$/s.exec(statement)
      assert.isNotNull(guard, statement)
      const schemaId = readNString(guard![1]!)
      assert.strictEqual(schemaId.value, name)
      const exec = /^\) IS NULL EXEC\((.*)$/s.exec(schemaId.rest)
      assert.isNotNull(exec, statement)
      const body = readNString(exec![1]!)
      assert.strictEqual(body.rest, ")")
      assert.isTrue(body.value.startsWith("CREATE SCHEMA "), body.value)
      assert.strictEqual(readBracketed(body.value.slice("CREATE SCHEMA ".length)), name)
    }
  )

  test.prop([fc.oneof(fc.constantFrom(...hostile.filter((n) => n !== "" && !n.includes("\u0000"))), fc.string({ minLength: 1, maxLength: 40 }).filter((n) => !n.includes("\u0000")))])(
    "PostgreSQL CREATE SCHEMA, DROP SCHEMA and qualified names read back as the name",
    (name) => {
      const unquote = (quoted: string) => {
        assert.isTrue(quoted.startsWith("\"") && quoted.endsWith("\""), quoted)
        assert.notMatch(quoted.slice(1, -1).replaceAll("\"\"", ""), /"/, quoted)
        return quoted.slice(1, -1).replaceAll("\"\"", "\"")
      }
      assert.strictEqual(unquote(postgres.createSchema(name).slice("CREATE SCHEMA IF NOT EXISTS ".length)), name)
      const [drop] = postgres.dropSchema(name)
      assert.strictEqual(unquote(drop!.slice("DROP SCHEMA IF EXISTS ".length, -" CASCADE".length)), name)
      const qualified = postgres.qualify({ schema: name, name: "t" })
      assert.isTrue(qualified.endsWith(".\"t\""))
      assert.strictEqual(unquote(qualified.slice(0, -".\"t\"".length)), name)
      // and T-SQL's qualified names alike
      const bracketed = tsql.qualify({ schema: name, name: "t" })
      assert.strictEqual(readBracketed(bracketed.slice(0, -".[t]".length)), name)
    }
  )
})
