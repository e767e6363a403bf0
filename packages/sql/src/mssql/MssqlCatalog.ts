/**
 * SQL Server's catalogue, asked whether a schema or tables exist. Names are parameters.
 */
import type { Catalogue } from "../Names.ts"
import { columnText, dialect } from "./MssqlSql.ts"

const list = (n: number, first: number) => Array.from({ length: n }, (_, i) => `@${first + i}`).join(", ")

export const catalogue: Catalogue = {
  schemaExists: (schema) => ({ sql: "SELECT 1 AS found FROM sys.schemas WHERE name = @1", params: [schema] }),
  tablesIn: (schema, tables) =>
    schema === undefined
      ? {
        sql: `SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = SCHEMA_NAME() AND TABLE_NAME IN (${list(tables.length, 1)})`,
        params: tables
      }
      : {
        sql: `SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = @1 AND TABLE_NAME IN (${list(tables.length, 2)})`,
        params: [schema, ...tables]
      },
  primaryKey: (schema, table) => ({
    sql: "SELECT c.name FROM sys.indexes i JOIN sys.index_columns ic ON ic.object_id = i.object_id AND ic.index_id = i.index_id " +
      "JOIN sys.columns c ON c.object_id = ic.object_id AND c.column_id = ic.column_id " +
      "WHERE i.is_primary_key = 1 AND i.object_id = OBJECT_ID(QUOTENAME(COALESCE(@1, SCHEMA_NAME())) + N'.' + QUOTENAME(@2)) " +
      "ORDER BY ic.key_ordinal",
    params: [schema ?? null, table]
  }),
  columns: (schema, table) => ({
    sql: "SELECT COLUMN_NAME, DATA_TYPE, CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, NUMERIC_SCALE FROM INFORMATION_SCHEMA.COLUMNS " +
      "WHERE TABLE_SCHEMA = COALESCE(@1, SCHEMA_NAME()) AND TABLE_NAME = @2 ORDER BY ORDINAL_POSITION",
    params: [schema ?? null, table]
  }),
  keyProblems: (table, key) => {
    const columns = key.map(dialect.quoteIdentifier).join(", ")
    return `SELECT TOP (5) ${key.map((k) => columnText(dialect.quoteIdentifier(k), undefined)).join(", ")} FROM ${dialect.qualify(table)} ` +
      `GROUP BY ${columns} HAVING COUNT(*) > 1 OR ${key.map((k) => `${dialect.quoteIdentifier(k)} IS NULL`).join(" OR ")}`
  }
}
