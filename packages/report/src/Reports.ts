/**
 * Writes every report of a rehearsal into one folder: `report.html`, `report.xlsx`, `report.json`, `summary.md`,
 * `junit.xml`, and CSV files (findings per check, figures, entities). The folder is made readable by its owner only
 * (0700) and every file 0600: reports hold personal data even when masked.
 */
import * as SystemError from "@handover/sql/SystemError"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { constants } from "node:fs"
import { access, chmod, mkdir, stat, writeFile } from "node:fs/promises"
import * as path from "node:path"
import * as Formats from "./Formats.ts"
import type { GateResult } from "./Gates.ts"
import * as Html from "./Html.ts"
import type { ReportData } from "./ReportData.ts"
import type { Owner } from "./Summary.ts"
import * as Xlsx from "./Xlsx.ts"

export interface Written {
  readonly directory: string
  readonly files: ReadonlyArray<string>
}

/** A file name from a check id: letters, digits, dots and dashes. */
const fileName = (check: string) => check.replace(/[^A-Za-z0-9.-]+/g, "-")

export const write = async (
  directory: string,
  data: ReportData,
  gates: ReadonlyArray<GateResult>,
  options: { readonly owners: ReadonlyArray<Owner> }
): Promise<Written> => {
  await mkdir(path.join(directory, "csv"), { recursive: true, mode: 0o700 })
  await chmod(directory, 0o700)
  await chmod(path.join(directory, "csv"), 0o700)
  const files: Array<string> = []
  const put = async (name: string, content: string | Buffer) => {
    const file = path.join(directory, name)
    await writeFile(file, content, { mode: 0o600 })
    await chmod(file, 0o600)
    files.push(file)
  }
  await put("report.html", Html.render(data, gates, options))
  await put("report.json", Formats.json(data, gates))
  await put("summary.md", Formats.markdown(data, gates))
  await put("junit.xml", Formats.junit(data, gates))
  await put(path.join("csv", "entities.csv"), Formats.entitiesCsv(data))
  await put(path.join("csv", "figures.csv"), Formats.figuresCsv(data))
  for (const [check, list] of Formats.byCheck(data)) await put(path.join("csv", `findings-${fileName(check)}.csv`), Formats.findingsCsv(list))
  await put("report.xlsx", Buffer.from(await Xlsx.workbook(data, gates).xlsx.writeBuffer()))
  return { directory, files }
}

/** The reports cannot be written: the message names the folder and the operating system's reason. */
export class ReportsError extends Schema.TaggedError<ReportsError>()("ReportsError", {
  directory: Schema.String,
  message: Schema.String,
  cause: Schema.Defect()
}) {}

const cannotWrite = (directory: string) => (cause: unknown): ReportsError => {
  // a file inside the folder that could not be written is named too (a folder where `report.html` should be)
  const failed = (cause as NodeJS.ErrnoException).path
  const inside = typeof failed === "string" ? path.relative(directory, failed) : ""
  const file = inside !== "" && inside !== "csv" && !inside.startsWith("..") && !path.isAbsolute(inside) ? ` (${inside})` : ""
  return new ReportsError({ directory, message: `cannot write the reports to ${directory}${file}: ${SystemError.reason(cause)}`, cause })
}

/** Writes every report as `write` does, failing with a `ReportsError` when the folder or a file cannot be written. */
export const writeAll = (
  directory: string,
  data: ReportData,
  gates: ReadonlyArray<GateResult>,
  options: { readonly owners: ReadonlyArray<Owner> }
): Effect.Effect<Written, ReportsError> =>
  Effect.tryPromise({ try: () => write(directory, data, gates, options), catch: cannotWrite(directory) })

/**
 * Checks that reports can be written into a folder, before a rehearsal spends its time: the folder, or the nearest
 * folder above it that exists, must be a folder this process may write in. It makes nothing.
 */
export const checkDirectory = (directory: string): Effect.Effect<void, ReportsError> =>
  Effect.tryPromise({
    try: async () => {
      let folder = path.resolve(directory)
      for (;;) {
        let found
        try {
          found = await stat(folder)
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code
          const parent = path.dirname(folder)
          // not made yet (or under a file, found on the way up): the folder above decides
          if ((code === "ENOENT" || code === "ENOTDIR") && parent !== folder) {
            folder = parent
            continue
          }
          throw error
        }
        if (!found.isDirectory()) throw new Error("not a directory")
        await access(folder, constants.W_OK | constants.X_OK)
        return
      }
    },
    catch: cannotWrite(directory)
  })
