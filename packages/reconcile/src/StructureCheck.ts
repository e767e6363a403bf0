/**
 * The structure check: the target holds every table and column the pipeline writes, each of the expected type,
 * read from the database's own catalogue (information_schema). A few findings a column at most: given to `emit`
 * together at the end.
 */
import type { Pipeline } from "@handover/core"
import type { Database, Table } from "@handover/sql"
import * as Effect from "effect/Effect"
import * as Finding from "./Finding.ts"

/** The catalogue type names a logical column type may have, per dialect family. */
const accepted = (type: Table.ColumnType): ReadonlyArray<string> => {
  switch (type._tag) {
    case "text":
      return type.maxLength === undefined ? ["text", "nvarchar", "character varying"] : ["character varying", "nvarchar", "varchar"]
    case "int":
      return ["integer", "int"]
    case "bigint":
      return ["bigint"]
    case "decimal":
      return ["numeric", "decimal"]
    case "date":
      return ["date"]
    case "timestamp":
      return ["timestamp with time zone", "datetimeoffset"]
    case "boolean":
      return ["boolean", "bit"]
  }
}

export const run = (target: Database.Database, pipeline: Pipeline.Pipeline, targetSchema: string, emit: Finding.Emit) =>
  target.use("read the target's catalogue", (d) =>
    d.queryText(
      `SELECT table_name, column_name, data_type, character_maximum_length, numeric_precision, numeric_scale ` +
        `FROM information_schema.columns WHERE table_schema = ${d.dialect.placeholder(1)}`,
      [targetSchema]
    )).pipe(Effect.map((rows) => {
      const catalogue = new Map<string, Map<string, ReadonlyArray<string | null>>>()
      for (const r of rows) {
        const table = catalogue.get(String(r[0])) ?? new Map()
        table.set(String(r[1]), r)
        catalogue.set(String(r[0]), table)
      }
      const findings: Array<Finding.Finding> = []
      for (const table of pipeline.targetTables) {
        const found = catalogue.get(table.name)
        if (found === undefined) {
          findings.push(Finding.make({ check: "structure", entity: table.name, kind: "structure", severity: "error", message: `the target has no table ${targetSchema}.${table.name}` }))
          continue
        }
        for (const column of table.columns) {
          const c = found.get(column.name)
          if (c === undefined) {
            findings.push(Finding.make({ check: "structure", entity: table.name, field: column.name, kind: "structure", severity: "error", message: `${table.name} has no column ${column.name}` }))
            continue
          }
          const dataType = String(c[2]).toLowerCase()
          const problems: Array<string> = []
          if (!accepted(column.type).includes(dataType)) problems.push(`type ${dataType}, expected ${column.type._tag}`)
          if (column.type._tag === "text" && column.type.maxLength !== undefined && c[3] !== null && Number(c[3]) !== column.type.maxLength) {
            problems.push(`length ${c[3]}, expected ${column.type.maxLength}`)
          }
          if (column.type._tag === "decimal" && (Number(c[4]) !== column.type.precision || Number(c[5]) !== column.type.scale)) {
            problems.push(`precision (${c[4]}, ${c[5]}), expected (${column.type.precision}, ${column.type.scale})`)
          }
          if (problems.length > 0) {
            findings.push(Finding.make({
              check: "structure",
              entity: table.name,
              field: column.name,
              kind: "structure",
              severity: "error",
              targetValue: dataType,
              message: `${table.name}.${column.name} has ${problems.join("; ")}`
            }))
          }
        }
      }
      return findings
    }), Effect.flatMap((findings) =>
      findings.length === 0 ? Effect.succeed(0) : target.use("record structure findings", () => emit(findings)).pipe(Effect.as(findings.length))
    ))
