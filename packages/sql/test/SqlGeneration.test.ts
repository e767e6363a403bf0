/**
 * The SQL text each dialect writes: T-SQL (tested here without a server) and PostgreSQL.
 */
import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import { Kysely, MssqlDialect } from "kysely"
import * as Tarn from "tarn"
import * as Tedious from "tedious"
import * as ControlSchema from "../src/ControlSchema.ts"
import * as MssqlHash from "../src/mssql/MssqlHash.ts"
import * as MssqlSql from "../src/mssql/MssqlSql.ts"
import * as PostgresSql from "../src/postgres/PostgresSql.ts"
import { keysetCondition, type KeysetPage } from "../src/SqlDialect.ts"
import * as Table from "../src/Table.ts"
import * as TableShape from "../src/TableShape.ts"
import { everyTypeTable } from "./support.ts"

const tsql = MssqlSql.dialect
const postgres = PostgresSql.make("postgres")

/** A table with a column of every type, nullable and not, in a schema and under a name that need quoting. */
const everyType = everyTypeTable("legacy ]\"src\"", "all types", ["id", "code"], { "odd ]\"col": Table.nullable(Table.timestamp) })

const client = { schema: "legacy", name: "client" }

const page = (key: ReadonlyArray<string>, after: ReadonlyArray<string> | undefined, limit = 100): KeysetPage => ({
  table: client,
  columns: ["name", ...key],
  key,
  after,
  limit
})

describe("identifier quoting", () => {
  it("T-SQL brackets identifiers and doubles a closing bracket", () => {
    assert.strictEqual(tsql.quoteIdentifier("client"), "[client]")
    assert.strictEqual(tsql.quoteIdentifier("a]b"), "[a]]b]")
    assert.strictEqual(tsql.quoteIdentifier("]]"), "[]]]]]")
    assert.strictEqual(tsql.quoteIdentifier("say \"hi\" there"), "[say \"hi\" there]")
    assert.strictEqual(tsql.qualify({ schema: "my schema", name: "x]y" }), "[my schema].[x]]y]")
    assert.strictEqual(tsql.qualify({ schema: undefined, name: "t" }), "[t]")
  })

  it("PostgreSQL double-quotes identifiers and doubles a double quote", () => {
    assert.strictEqual(postgres.quoteIdentifier("client"), "\"client\"")
    assert.strictEqual(postgres.quoteIdentifier("say \"hi\""), "\"say \"\"hi\"\"\"")
    assert.strictEqual(postgres.quoteIdentifier("a]b c"), "\"a]b c\"")
    assert.strictEqual(postgres.qualify({ schema: "my schema", name: "x\"y" }), "\"my schema\".\"x\"\"y\"")
    assert.strictEqual(postgres.qualify({ schema: undefined, name: "t" }), "\"t\"")
  })

  test.prop([fc.string({ minLength: 1 })])("quoting is reversible on both dialects", (name) => {
    const bracketed = tsql.quoteIdentifier(name)
    assert.strictEqual(bracketed.slice(1, -1).replaceAll("]]", "]"), name)
    assert.notMatch(bracketed.slice(1, -1).replaceAll("]]", ""), /\]/)
    const quoted = postgres.quoteIdentifier(name)
    assert.strictEqual(quoted.slice(1, -1).replaceAll("\"\"", "\""), name)
    assert.notMatch(quoted.slice(1, -1).replaceAll("\"\"", ""), /"/)
  })
})

describe("T-SQL DDL", () => {
  it("creates a table of every column type, guarded by OBJECT_ID", () => {
    assert.strictEqual(
      tsql.createTable(everyType),
      "IF OBJECT_ID(N'[legacy ]]\"src\"].[all types]', N'U') IS NULL " +
        "CREATE TABLE [legacy ]]\"src\"].[all types] (" +
        "[id] int NOT NULL, [big] bigint NOT NULL, [name] nvarchar(max) NOT NULL, [code] nvarchar(20) NOT NULL, " +
        "[amount] decimal(12, 2) NOT NULL, [born] date NOT NULL, [at] datetimeoffset(3) NOT NULL, [flag] bit NOT NULL, " +
        "[note] nvarchar(max) NULL, [odd ]]\"col] datetimeoffset(3) NULL, PRIMARY KEY ([id], [code]))"
    )
  })

  it("names the table in the OBJECT_ID guard so that dots and quotes in names are not misread", () => {
    const table = Table.make({ name: "O'Brien.notes", columns: { k: Table.int }, primaryKey: [] })
    assert.strictEqual(
      tsql.createTable(table),
      "IF OBJECT_ID(N'[O''Brien.notes]', N'U') IS NULL CREATE TABLE [O'Brien.notes] ([k] int NOT NULL)"
    )
  })

  it("maps every column type", () => {
    assert.deepStrictEqual(
      [Table.text(), Table.text(4000), Table.int, Table.bigint, Table.decimal(18, 4), Table.date, Table.timestamp, Table.boolean].map(
        tsql.columnType
      ),
      ["nvarchar(max)", "nvarchar(4000)", "int", "bigint", "decimal(18, 4)", "date", "datetimeoffset(3)", "bit"]
    )
  })

  it("creates a schema only when it is missing, through EXEC", () => {
    assert.strictEqual(tsql.createSchema("handover"), "IF SCHEMA_ID(N'handover') IS NULL EXEC(N'CREATE SCHEMA [handover]')")
    assert.strictEqual(tsql.createSchema("o'k]"), "IF SCHEMA_ID(N'o''k]') IS NULL EXEC(N'CREATE SCHEMA [o''k]]]')")
  })

  it("looks values up with an IN list of parameters, at most a thousand a statement", () => {
    assert.deepStrictEqual(tsql.oneOf("[k]", ["a", "b'"], 3), { sql: "[k] IN (@3, @4)", params: ["a", "b'"] })
    assert.isAtMost(tsql.maxOneOf, 2000)
    assert.deepStrictEqual(postgres.oneOf(`"k"`, ["a", "b'"], 3), { sql: `"k" = ANY($3::text[])`, params: [["a", "b'"]] })
  })

  it("clears tables with DELETE, children first", () => {
    assert.deepStrictEqual(tsql.clearTables([{ schema: "s", name: "parent" }, { schema: "s", name: "child" }, { schema: undefined, name: "leaf" }]), [
      "DELETE FROM [leaf]",
      "DELETE FROM [s].[child]",
      "DELETE FROM [s].[parent]"
    ])
    assert.deepStrictEqual(tsql.clearTables([]), [])
  })

  it("takes the first rows with TOP and stores a query's rows in a table keyed by its row number with SELECT INTO", () => {
    assert.strictEqual(tsql.top(500), "TOP (500) ")
    assert.strictEqual(tsql.limit(500), "")
    assert.strictEqual(postgres.top(500), "")
    assert.strictEqual(postgres.limit(500), " LIMIT 500")
    const table = { schema: "control", name: "sorted_1" }
    assert.deepStrictEqual(tsql.materialise(table, "SELECT ROW_NUMBER() OVER (ORDER BY x) AS [n], x AS [c0] FROM t WHERE y = @1"), [
      "SELECT * INTO [control].[sorted_1] FROM (SELECT ROW_NUMBER() OVER (ORDER BY x) AS [n], x AS [c0] FROM t WHERE y = @1) AS s",
      "ALTER TABLE [control].[sorted_1] ALTER COLUMN [n] bigint NOT NULL",
      "ALTER TABLE [control].[sorted_1] ADD PRIMARY KEY ([n])"
    ])
    assert.strictEqual(tsql.dropTable(table), "DROP TABLE IF EXISTS [control].[sorted_1]")
    assert.deepStrictEqual(postgres.materialise(table, "SELECT 1 AS \"n\""), [
      `CREATE UNLOGGED TABLE "control"."sorted_1" AS SELECT 1 AS "n"`,
      `ALTER TABLE "control"."sorted_1" ADD PRIMARY KEY ("n")`
    ])
  })

  it("drops a schema by dropping its foreign keys and tables first", () => {
    const statements = tsql.dropSchema("o'k")
    assert.strictEqual(statements.length, 2)
    assert.include(statements[0]!, "WHERE s.name = N'o''k'")
    assert.isBelow(statements[0]!.indexOf("DROP CONSTRAINT"), statements[0]!.indexOf("DROP TABLE"))
    assert.strictEqual(statements[1], "IF SCHEMA_ID(N'o''k') IS NOT NULL EXEC(N'DROP SCHEMA [o''k]')")
  })
})

describe("PostgreSQL DDL", () => {
  it("creates a table of every column type if it does not exist", () => {
    assert.strictEqual(
      postgres.createTable(everyType),
      "CREATE TABLE IF NOT EXISTS \"legacy ]\"\"src\"\"\".\"all types\" (" +
        "\"id\" integer NOT NULL, \"big\" bigint NOT NULL, \"name\" text NOT NULL, \"code\" varchar(20) NOT NULL, " +
        "\"amount\" numeric(12, 2) NOT NULL, \"born\" date NOT NULL, \"at\" timestamptz NOT NULL, \"flag\" boolean NOT NULL, " +
        "\"note\" text, \"odd ]\"\"col\" timestamptz, PRIMARY KEY (\"id\", \"code\"))"
    )
  })

  it("creates and drops schemas, and empties tables with one TRUNCATE", () => {
    assert.strictEqual(postgres.createSchema("hand \"over\""), "CREATE SCHEMA IF NOT EXISTS \"hand \"\"over\"\"\"")
    assert.deepStrictEqual(postgres.dropSchema("x"), ["DROP SCHEMA IF EXISTS \"x\" CASCADE"])
    assert.deepStrictEqual(postgres.clearTables([{ schema: "s", name: "parent" }, { schema: "s", name: "child" }, { schema: undefined, name: "leaf" }]), [
      "TRUNCATE \"s\".\"parent\", \"s\".\"child\", \"leaf\""
    ])
    assert.deepStrictEqual(postgres.clearTables([]), [])
  })

  it("PGlite speaks the same SQL", () => {
    const pglite = PostgresSql.make("pglite")
    assert.strictEqual(pglite.name, "pglite")
    assert.strictEqual(pglite.createTable(everyType), postgres.createTable(everyType))
    assert.deepStrictEqual(pglite.keysetPage(page(["a", "b"], ["1", "x"])), postgres.keysetPage(page(["a", "b"], ["1", "x"])))
  })
})

describe("keyset condition", () => {
  const q = (name: string) => `<${name}>`
  const p = (n: number) => `?${n}`

  it("is a plain comparison for a one-column key", () => {
    assert.deepStrictEqual(keysetCondition(["k"], q, p, ["5"]), { sql: "<k> > ?1", params: ["5"] })
  })

  it("is an OR of prefixes for a longer key, numbering parameters from firstParam", () => {
    assert.deepStrictEqual(keysetCondition(["a", "b", "c"], q, p, ["1", "x", "2"], 3), {
      sql: "(<a> > ?3) OR (<a> = ?4 AND <b> > ?5) OR (<a> = ?6 AND <b> = ?7 AND <c> > ?8)",
      params: ["1", "1", "x", "1", "x", "2"]
    })
  })

  it("refuses a resume key of the wrong length", () => {
    assert.throws(() => keysetCondition(["a", "b"], q, p, ["1"]), /needs 2 values, got 1/)
  })

  test.prop([fc.array(fc.string(), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 50 })])(
    "uses k(k+1)/2 parameters, numbered in order, each the resume value of its column",
    (after, firstParam) => {
      const key = after.map((_, i) => `k${i}`)
      const condition = keysetCondition(key, q, p, after, firstParam)
      const k = key.length
      assert.strictEqual(condition.params.length, (k * (k + 1)) / 2)
      const numbers = [...condition.sql.matchAll(/\?(\d+)/g)].map((m) => Number(m[1]))
      assert.deepStrictEqual(numbers, condition.params.map((_, i) => firstParam + i))
      // every comparison is against its own column's resume value
      const comparisons = [...condition.sql.matchAll(/<k(\d+)> [=>] \?(\d+)/g)]
      assert.strictEqual(comparisons.length, condition.params.length)
      for (const [, column, n] of comparisons) {
        assert.strictEqual(condition.params[Number(n) - firstParam], after[Number(column)])
      }
    }
  )
})

describe("T-SQL keyset pages", () => {
  it("reads the first page of a one-column key with TOP and text conversions", () => {
    assert.deepStrictEqual(tsql.keysetPage(page(["client_no"], undefined)), {
      sql: "SELECT TOP (100) CONVERT(nvarchar(max), [name], 126) AS [name], " +
        "CONVERT(nvarchar(max), [client_no], 126) AS [client_no] FROM [legacy].[client] " +
        "ORDER BY [legacy].[client].[client_no]",
      params: []
    })
  })

  it("resumes a one-column key after a value", () => {
    assert.deepStrictEqual(tsql.keysetPage(page(["client_no"], ["C'42"], 7)), {
      sql: "SELECT TOP (7) CONVERT(nvarchar(max), [name], 126) AS [name], " +
        "CONVERT(nvarchar(max), [client_no], 126) AS [client_no] FROM [legacy].[client] " +
        "WHERE [client_no] > @1 ORDER BY [legacy].[client].[client_no]",
      params: ["C'42"]
    })
  })

  it("reads a three-column key from the start and after a key", () => {
    const columns = "CONVERT(nvarchar(max), [name], 126) AS [name], CONVERT(nvarchar(max), [a], 126) AS [a], " +
      "CONVERT(nvarchar(max), [b], 126) AS [b], CONVERT(nvarchar(max), [c], 126) AS [c]"
    const order = "ORDER BY [legacy].[client].[a], [legacy].[client].[b], [legacy].[client].[c]"
    assert.deepStrictEqual(tsql.keysetPage(page(["a", "b", "c"], undefined, 3)), {
      sql: `SELECT TOP (3) ${columns} FROM [legacy].[client] ${order}`,
      params: []
    })
    assert.deepStrictEqual(tsql.keysetPage(page(["a", "b", "c"], ["1", "x", "2"], 3)), {
      sql: `SELECT TOP (3) ${columns} FROM [legacy].[client] ` +
        "WHERE ([a] > @1) OR ([a] = @2 AND [b] > @3) OR ([a] = @4 AND [b] = @5 AND [c] > @6) " +
        order,
      params: ["1", "1", "x", "1", "x", "2"]
    })
  })

  it("writes each value by the column's own type, without losing a digit or reading a date by the login's language", () => {
    // SQL Server's documented conversions: style 0 would give a money two places and a float six digits; style 121's
    // `yyyy-mm-dd hh:mi:ss` is read back by DATEFORMAT for a datetime, style 126's `yyyy-mm-ddThh:mi:ss` never
    const stated: ReadonlyArray<readonly [string | undefined, string]> = [
      ["money", "CONVERT(nvarchar(max), [v], 2)"],
      ["smallmoney", "CONVERT(nvarchar(max), [v], 2)"],
      ["float", "CONVERT(nvarchar(max), [v], 3)"],
      ["real", "CONVERT(nvarchar(max), [v], 3)"],
      ["datetime", "CONVERT(nvarchar(max), [v], 126)"],
      ["smalldatetime", "CONVERT(nvarchar(max), [v], 126)"],
      ["datetime2", "CONVERT(nvarchar(max), [v], 126)"],
      ["datetimeoffset", "CONVERT(nvarchar(max), [v], 126)"],
      ["date", "CONVERT(nvarchar(10), [v], 23)"],
      ["uniqueidentifier", "LOWER(CONVERT(nvarchar(36), [v]))"],
      ["decimal", "CONVERT(nvarchar(max), [v])"],
      ["varchar", "CONVERT(nvarchar(max), [v])"],
      [undefined, "CONVERT(nvarchar(max), [v], 126)"]
    ]
    for (const [type, text] of stated) assert.strictEqual(MssqlSql.columnText("[v]", type), text, String(type))
    const read = tsql.keysetPage({ ...page(["k"], undefined), columns: ["k", "v"], databaseTypes: { k: "int", v: "money" } })
    assert.include(read.sql, "CONVERT(nvarchar(max), [v], 2) AS [v]")
  })

  it("compares a varchar resume key as varchar, so that the order and the index are the column's", () => {
    const read = tsql.keysetPage({ ...page(["a", "b"], ["co-op", "7"]), databaseTypes: { a: "varchar", b: "int" } })
    assert.include(read.sql, "WHERE ([a] > CAST(@1 AS varchar(8000))) OR ([a] = CAST(@2 AS varchar(8000)) AND [b] > @3)")
    const unicode = tsql.keysetPage({ ...page(["a"], ["co-op"]), databaseTypes: { a: "nvarchar" } })
    assert.include(unicode.sql, "WHERE [a] > @1 ")
  })

  it("has no TOP for an unlimited read and truncates a fractional limit", () => {
    assert.notInclude(tsql.keysetPage(page(["k"], undefined, Infinity)).sql, "TOP")
    assert.match(tsql.keysetPage(page(["k"], undefined, 7.9)).sql, /^SELECT TOP \(7\) /)
  })
})

describe("PostgreSQL keyset pages", () => {
  it("reads a one-column key with $n placeholders and LIMIT", () => {
    assert.deepStrictEqual(postgres.keysetPage(page(["client_no"], undefined)), {
      sql: "SELECT \"name\", \"client_no\" FROM \"legacy\".\"client\" ORDER BY \"legacy\".\"client\".\"client_no\" LIMIT 100",
      params: []
    })
    assert.deepStrictEqual(postgres.keysetPage(page(["client_no"], ["42"], 7)), {
      sql: "SELECT \"name\", \"client_no\" FROM \"legacy\".\"client\" WHERE \"client_no\" > $1 " +
        "ORDER BY \"legacy\".\"client\".\"client_no\" LIMIT 7",
      params: ["42"]
    })
  })

  it("reads a three-column key from the start and after a key", () => {
    const order = "ORDER BY \"legacy\".\"client\".\"a\", \"legacy\".\"client\".\"b\", \"legacy\".\"client\".\"c\""
    assert.deepStrictEqual(postgres.keysetPage(page(["a", "b", "c"], undefined, 3)), {
      sql: `SELECT "name", "a", "b", "c" FROM "legacy"."client" ${order} LIMIT 3`,
      params: []
    })
    assert.deepStrictEqual(postgres.keysetPage(page(["a", "b", "c"], ["1", "x", "2"], 3)), {
      sql: "SELECT \"name\", \"a\", \"b\", \"c\" FROM \"legacy\".\"client\" " +
        "WHERE (\"a\" > $1) OR (\"a\" = $2 AND \"b\" > $3) OR (\"a\" = $4 AND \"b\" = $5 AND \"c\" > $6) " +
        `${order} LIMIT 3`,
      params: ["1", "1", "x", "1", "x", "2"]
    })
  })

  it("has no LIMIT for an unlimited read", () => {
    assert.notInclude(postgres.keysetPage(page(["k"], undefined, Infinity)).sql, "LIMIT")
  })

  it("inlines resume keys as escaped literals for COPY", () => {
    assert.deepStrictEqual(PostgresSql.keysetSelect(page(["a", "b"], ["O'Brien \\ x", "it's"], Infinity), true), {
      sql: "SELECT \"name\", \"a\", \"b\" FROM \"legacy\".\"client\" " +
        "WHERE (\"a\" > E'O''Brien \\\\ x') OR (\"a\" = E'O''Brien \\\\ x' AND \"b\" > 'it''s') " +
        "ORDER BY \"legacy\".\"client\".\"a\", \"legacy\".\"client\".\"b\"",
      params: []
    })
  })

  it("inlines literals only where the placeholders are, never inside a column name", () => {
    const inlined = PostgresSql.keysetSelect({ ...page(["k$1", "k$2"], ["v1", "v2"], Infinity), columns: ["k$1", "k$2"] }, true)
    assert.strictEqual(
      inlined.sql,
      "SELECT \"k$1\", \"k$2\" FROM \"legacy\".\"client\" " +
        "WHERE (\"k$1\" > 'v1') OR (\"k$1\" = 'v1' AND \"k$2\" > 'v2') " +
        "ORDER BY \"legacy\".\"client\".\"k$1\", \"legacy\".\"client\".\"k$2\""
    )
  })

  it("quotes literals so that PostgreSQL reads back the same text, and refuses NUL", () => {
    assert.strictEqual(PostgresSql.quoteLiteral("plain"), "'plain'")
    assert.strictEqual(PostgresSql.quoteLiteral("it's"), "'it''s'")
    assert.strictEqual(PostgresSql.quoteLiteral("a\\'b"), "E'a\\\\''b'")
    assert.throws(() => PostgresSql.quoteLiteral("a\u0000"), /NUL/)
  })
})

describe("Kysely on SQL Server", () => {
  // compiles without connecting: the connection factory is never called
  const db = new Kysely<any>({
    dialect: new MssqlDialect({
      tarn: { ...Tarn, options: { min: 0, max: 1 } },
      tedious: {
        ...Tedious,
        connectionFactory: () => {
          throw new Error("no server")
        }
      }
    })
  })

  it("compiles a schema-qualified select with @n placeholders, numbered as the driver binds them", () => {
    const compiled = db.withSchema("handover").selectFrom("xref").select(["legacy_key"]).where("run_id", "=", "x").where(
      "legacy_key",
      "in",
      ["a", "b"]
    ).compile()
    assert.strictEqual(compiled.sql, "select \"legacy_key\" from \"handover\".\"xref\" where \"run_id\" = @1 and \"legacy_key\" in (@2, @3)")
    assert.deepStrictEqual(compiled.parameters, ["x", "a", "b"])
    assert.strictEqual(tsql.placeholder(3), "@3")
  })

  it("compiles inserts, updates, deletes and TOP", () => {
    const insert = db.withSchema("handover").insertInto("run").values({ run_id: "r1", status: "running" }).compile()
    assert.strictEqual(insert.sql, "insert into \"handover\".\"run\" (\"run_id\", \"status\") values (@1, @2)")
    assert.deepStrictEqual(insert.parameters, ["r1", "running"])
    const update = db.withSchema("handover").updateTable("entity_step").set({ status: "done", batches: 3 }).where("run_id", "=", "r1")
      .compile()
    assert.strictEqual(update.sql, "update \"handover\".\"entity_step\" set \"status\" = @1, \"batches\" = @2 where \"run_id\" = @3")
    assert.deepStrictEqual(update.parameters, ["done", 3, "r1"])
    const remove = db.withSchema("handover").deleteFrom("xref").where("run_id", "=", "r1").compile()
    assert.strictEqual(remove.sql, "delete from \"handover\".\"xref\" where \"run_id\" = @1")
    const top = db.selectFrom("we\"ird").selectAll().orderBy("k").top(5).compile()
    assert.strictEqual(top.sql, "select top(5) * from \"we\"\"ird\" order by \"k\"")
  })
})

describe("T-SQL canonical row text", () => {
  it("hands ISNULL a first argument as wide as the NULL marker, for every type (ISNULL gives its first argument's type)", () => {
    const columns = everyType.columns
    const text = MssqlHash.canonicalText(columns, (c) => tsql.quoteIdentifier(c))
    const fields = text.replace(/^CAST\(N'' AS nvarchar\(max\)\) \+ /, "").split(" + N'|' + ")
    assert.strictEqual(fields.length, columns.length)
    fields.forEach((field, i) => {
      const column = columns[i]!
      // text: REPLACE over nvarchar(max) is nvarchar(max); every other type is cast to it
      const widened = column.type._tag === "text"
        ? field.startsWith("ISNULL(REPLACE(REPLACE(CAST(")
        : field.startsWith("ISNULL(CAST(") && field.endsWith(` AS nvarchar(max)), N'\\N')`)
      assert.isTrue(widened, `${column.name} (${column.type._tag}): ${field}`)
    })
    // the boolean's own CASE is nvarchar(1): bare under ISNULL it would cut the marker to a backslash
    assert.notInclude(text, "ISNULL(CASE")
  })
})

describe("T-SQL keys within SQL Server's limits", () => {
  it("keys every control table within the index limits: clustered up to 900 bytes, nonclustered up to 1,700", () => {
    for (const table of Object.values(ControlSchema.tables("handover"))) {
      const clause = MssqlSql.primaryKeyClause(table)
      if (table.primaryKey.length === 0) {
        assert.isUndefined(clause)
        continue
      }
      // nvarchar takes two bytes a character
      const bytes = table.primaryKey.reduce((n, k) => {
        const type = table.columns.find((c) => c.name === k)!.type
        return n + (type._tag === "text" ? 2 * type.maxLength! : type._tag === "bigint" ? 8 : type._tag === "int" ? 4 : 17)
      }, 0)
      assert.isAtMost(bytes, MssqlSql.nonclusteredKeyBytes, table.name)
      assert.strictEqual(clause!.includes("NONCLUSTERED"), bytes > MssqlSql.clusteredKeyBytes, `${table.name}: ${bytes} bytes`)
    }
    // the review queue's key (run, entity, two legacy keys) is 1,080 bytes: past a clustered index's 900
    assert.include(MssqlSql.primaryKeyClause(ControlSchema.tables("handover").reviewItem), "PRIMARY KEY NONCLUSTERED")
  })

  it("refuses a key SQL Server cannot index, and writes text longer than nvarchar's 4,000 as nvarchar(max)", () => {
    const unbounded = Table.make({ name: "t", columns: { k: Table.text(), v: Table.int }, primaryKey: ["k"] })
    assert.throws(() => tsql.createTable(unbounded), /key column k is text of no maximum length/)
    const wide = Table.make({ name: "t", columns: { a: Table.text(450), b: Table.text(450) }, primaryKey: ["a", "b"] })
    assert.throws(() => tsql.createTable(wide), /more than the 1700 SQL Server indexes/)
    assert.strictEqual(tsql.columnType(Table.text(4000)), "nvarchar(4000)")
    assert.strictEqual(tsql.columnType(Table.text(4001)), "nvarchar(max)")
  })
})

describe("GUIDs in the canonical form", () => {
  it("reads a GUID column as text and writes it in lower case on SQL Server, as PostgreSQL prints it", () => {
    for (const name of ["uniqueidentifier", "uuid"]) {
      assert.deepStrictEqual(TableShape.logicalType(name, null, null, null), { _tag: "text", maxLength: 36, guid: true })
    }
    const guid = TableShape.logicalType("uniqueidentifier", null, null, null)!
    assert.strictEqual(MssqlHash.canonicalValue(guid, "[id]"), "LOWER(CAST([id] AS nvarchar(36)))")
    // keys are ordered and compared in the same lower case as the literals of their canonical values
    assert.include(MssqlHash.orderExpression(guid, "[id]", false), "LOWER(CAST([id] AS nvarchar(36)))")
    assert.strictEqual(MssqlHash.canonicalValue(Table.text(36), "[id]"), "CAST([id] AS nvarchar(max))")
  })
})
