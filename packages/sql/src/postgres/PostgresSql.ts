/**
 * The SQL of PostgreSQL, shared by the `pg` server driver and embedded PGlite.
 */
import { keysetCondition, type DialectName, type SqlDialect, type TableRef } from "../SqlDialect.ts"
import type { ColumnType, Table } from "../Table.ts"

export const quoteIdentifier = (name: string): string => `"${name.replaceAll("\"", "\"\"")}"`

export const quoteLiteral = (value: string): string => {
  if (value.includes("\u0000")) throw new Error("a PostgreSQL text value cannot hold a NUL character")
  const escaped = value.replaceAll("'", "''")
  return value.includes("\\") ? `E'${escaped.replaceAll("\\", "\\\\")}'` : `'${escaped}'`
}

const qualify = (table: TableRef): string =>
  table.schema === undefined ? quoteIdentifier(table.name) : `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`

const columnType = (type: ColumnType): string => {
  switch (type._tag) {
    case "text":
      return type.maxLength === undefined ? "text" : `varchar(${type.maxLength})`
    case "int":
      return "integer"
    case "bigint":
      return "bigint"
    case "decimal":
      return `numeric(${type.precision}, ${type.scale})`
    case "date":
      return "date"
    case "timestamp":
      return "timestamptz"
    case "boolean":
      return "boolean"
  }
}

const createTable = (table: Table): string => {
  const columns = table.columns.map((c) => `${quoteIdentifier(c.name)} ${columnType(c.type)}${c.nullable ? "" : " NOT NULL"}`)
  const pk = table.primaryKey.length > 0 ? [`PRIMARY KEY (${table.primaryKey.map(quoteIdentifier).join(", ")})`] : []
  return `CREATE TABLE IF NOT EXISTS ${qualify(table)} (${[...columns, ...pk].join(", ")})`
}

const placeholder = (n: number) => `$${n}`

/**
 * A SELECT of one keyset page. The drivers read every value in PostgreSQL's text output form (COPY and the raw
 * protocol text agree), so no casts are needed.
 */
export const keysetSelect = (page: Parameters<SqlDialect["keysetPage"]>[0], inline: boolean) => {
  const columns = page.columns.map(quoteIdentifier).join(", ")
  let where = ""
  let params: ReadonlyArray<unknown> = []
  if (page.after !== undefined) {
    const condition = keysetCondition(page.key, quoteIdentifier, placeholder, page.after)
    if (inline) {
      // COPY takes no parameters: the values are written as escaped literals (skipping quoted identifiers, which may
      // hold text that looks like a placeholder)
      where = ` WHERE ${
        condition.sql.replace(/"(?:[^"]|"")*"|\$(\d+)/g, (match, n: string | undefined) =>
          n === undefined ? match : quoteLiteral(String(condition.params[Number(n) - 1])))
      }`
    } else {
      where = ` WHERE ${condition.sql}`
      params = condition.params
    }
  }
  // qualified, so that the sort is on the table's column and never on an output column of the same name
  const order = page.key.map((k) => `${qualify(page.table)}.${quoteIdentifier(k)}`).join(", ")
  const limit = Number.isFinite(page.limit) ? ` LIMIT ${Math.trunc(page.limit)}` : ""
  return { sql: `SELECT ${columns} FROM ${qualify(page.table)}${where} ORDER BY ${order}${limit}`, params }
}

export const make = (name: Extract<DialectName, "postgres" | "pglite">): SqlDialect => ({
  name,
  quoteIdentifier,
  quoteString: quoteLiteral,
  qualify,
  placeholder,
  columnType,
  createSchema: (schema) => `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`,
  createTable,
  keysetPage: (page) => keysetSelect(page, false),
  clearTables: (tables) => tables.length === 0 ? [] : [`TRUNCATE ${tables.map(qualify).join(", ")}`],
  dropSchema: (schema) => [`DROP SCHEMA IF EXISTS ${quoteIdentifier(schema)} CASCADE`],
  analyze: (table) => [`ANALYZE ${qualify(table)}`],
  // one array parameter: one short statement to parse and plan, however many keys a batch asks for
  oneOf: (column, values, firstParam) => ({ sql: `${column} = ANY(${placeholder(firstParam)}::text[])`, params: [values] }),
  maxOneOf: 100_000,
  top: () => "",
  limit: (n) => ` LIMIT ${Math.trunc(n)}`,
  materialise: (table, select) => [`CREATE UNLOGGED TABLE ${qualify(table)} AS ${select}`, `ALTER TABLE ${qualify(table)} ADD PRIMARY KEY (${quoteIdentifier("n")})`],
  dropTable: (table) => `DROP TABLE IF EXISTS ${qualify(table)}`,
  columnText: (ref) => ref
})
