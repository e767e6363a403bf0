/**
 * SQL Server's catalogue, asked whether a schema or tables exist. Names are parameters.
 */
import type { Catalogue } from "../Names.ts"

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
      }
}
