/**
 * The T-SQL of SQL Server.
 */
import { keysetCondition, type SqlDialect, type TableRef } from "../SqlDialect.ts"
import type { ColumnType, Table } from "../Table.ts"

export const quoteIdentifier = (name: string): string => `[${name.replaceAll("]", "]]")}]`

export const quoteString = (value: string): string => `N'${value.replaceAll("'", "''")}'`

const qualify = (table: TableRef): string =>
  table.schema === undefined ? quoteIdentifier(table.name) : `${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`

const columnType = (type: ColumnType): string => {
  switch (type._tag) {
    case "text":
      // key and indexed columns need a bounded length on SQL Server
      return type.maxLength === undefined ? "nvarchar(max)" : `nvarchar(${type.maxLength})`
    case "int":
      return "int"
    case "bigint":
      return "bigint"
    case "decimal":
      return `decimal(${type.precision}, ${type.scale})`
    case "date":
      return "date"
    case "timestamp":
      return "datetimeoffset(3)"
    case "boolean":
      return "bit"
  }
}

const createTable = (table: Table): string => {
  const columns = table.columns.map((c) => `${quoteIdentifier(c.name)} ${columnType(c.type)} ${c.nullable ? "NULL" : "NOT NULL"}`)
  const pk = table.primaryKey.length > 0 ? [`PRIMARY KEY (${table.primaryKey.map(quoteIdentifier).join(", ")})`] : []
  // OBJECT_ID parses its argument as a multi-part name: bracketed, so that a dot or bracket in a name is not misread
  const objectName = quoteString(qualify(table))
  return `IF OBJECT_ID(${objectName}, N'U') IS NULL CREATE TABLE ${qualify(table)} (${[...columns, ...pk].join(", ")})`
}

const placeholder = (n: number) => `@${n}`

/**
 * Text form of a value read from SQL Server: style 121 gives `yyyy-mm-dd hh:mi:ss.mmm` for date-times and is ignored
 * for numbers, so decimals keep every digit.
 */
const asText = (column: string) => `CONVERT(nvarchar(max), ${quoteIdentifier(column)}, 121) AS ${quoteIdentifier(column)}`

export const dialect: SqlDialect = {
  name: "mssql",
  quoteIdentifier,
  quoteString,
  qualify,
  placeholder,
  columnType,
  createSchema: (schema) =>
    `IF SCHEMA_ID(${quoteString(schema)}) IS NULL EXEC(${quoteString(`CREATE SCHEMA ${quoteIdentifier(schema)}`)})`,
  createTable,
  keysetPage: (page) => {
    const condition = page.after === undefined ? undefined : keysetCondition(page.key, quoteIdentifier, placeholder, page.after)
    const top = Number.isFinite(page.limit) ? `TOP (${Math.trunc(page.limit)}) ` : ""
    return {
      sql: `SELECT ${top}${page.columns.map(asText).join(", ")} FROM ${qualify(page.table)}` +
        (condition === undefined ? "" : ` WHERE ${condition.sql}`) +
        // qualified: a bare name would sort on the text alias of the same name
        ` ORDER BY ${page.key.map((k) => `${qualify(page.table)}.${quoteIdentifier(k)}`).join(", ")}`,
      params: condition?.params ?? []
    }
  },
  // TRUNCATE refuses tables that foreign keys point at: delete children first
  clearTables: (tables) => [...tables].reverse().map((t) => `DELETE FROM ${qualify(t)}`),
  analyze: (table) => [`UPDATE STATISTICS ${qualify(table)}`],
  oneOf: (column, values, firstParam) => ({
    sql: `${column} IN (${values.map((_, i) => placeholder(firstParam + i)).join(", ")})`,
    params: values
  }),
  // well under the 2,100 parameters a statement takes
  maxOneOf: 1000,
  top: (n) => `TOP (${Math.trunc(n)}) `,
  limit: () => "",
  materialise: (table, select) => [
    `SELECT * INTO ${qualify(table)} FROM (${select}) AS s`,
    `ALTER TABLE ${qualify(table)} ALTER COLUMN ${quoteIdentifier("n")} bigint NOT NULL`,
    `ALTER TABLE ${qualify(table)} ADD PRIMARY KEY (${quoteIdentifier("n")})`
  ],
  dropTable: (table) => `DROP TABLE IF EXISTS ${qualify(table)}`,
  dropSchema: (schema) => [
    // drop foreign keys, then tables, then the schema
    `DECLARE @sql nvarchar(max) = N''; ` +
    `SELECT @sql += N'ALTER TABLE ' + QUOTENAME(s.name) + N'.' + QUOTENAME(t.name) + N' DROP CONSTRAINT ' + QUOTENAME(f.name) + N'; ' ` +
    `FROM sys.foreign_keys f JOIN sys.tables t ON f.parent_object_id = t.object_id JOIN sys.schemas s ON t.schema_id = s.schema_id ` +
    `WHERE s.name = ${quoteString(schema)}; ` +
    `SELECT @sql += N'DROP TABLE ' + QUOTENAME(s.name) + N'.' + QUOTENAME(t.name) + N'; ' ` +
    `FROM sys.tables t JOIN sys.schemas s ON t.schema_id = s.schema_id WHERE s.name = ${quoteString(schema)}; ` +
    `EXEC sp_executesql @sql`,
    `IF SCHEMA_ID(${quoteString(schema)}) IS NOT NULL EXEC(${quoteString(`DROP SCHEMA ${quoteIdentifier(schema)}`)})`
  ]
}
