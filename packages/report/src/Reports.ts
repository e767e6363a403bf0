/**
 * Writes every report of a rehearsal into one folder: `report.html`, `report.xlsx`, `report.json`, `summary.md`,
 * `junit.xml`, CSV files (findings per check, one per worklist, figures, entities), and the pipeline's returns made
 * from the target (`cld-return.csv`). The folder is made readable by its owner only
 * (0700) and every file 0600: reports hold personal data even when masked.
 */
import { Database } from "@handover/sql"
import * as SystemError from "@handover/sql/SystemError"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { constants } from "node:fs"
import { access, chmod, mkdir, stat } from "node:fs/promises"
import * as path from "node:path"
import * as Formats from "./Formats.ts"
import type { GateResult } from "./Gates.ts"
import * as Html from "./Html.ts"
import type * as Masking from "./Masking.ts"
import * as ReportData from "./ReportData.ts"
import * as Sink from "./Sink.ts"
import type { Owner } from "./Summary.ts"
import * as Worklists from "./Worklists.ts"
import * as Xlsx from "./Xlsx.ts"

/** A file made from the target for the council (a statutory return), written beside the reports. */
export interface ReturnFile {
  readonly file: string
  readonly columns: ReadonlyArray<string>
  /** Its rows a page at a time, as the target holds them: masked as they are written, by column. */
  readonly rows: () => AsyncIterable<ReadonlyArray<Readonly<Partial<Record<string, string | null>>>>>
}

export interface Options {
  readonly owners: ReadonlyArray<Owner>
  /** The values a code system's legacy values may be mapped to (the pipeline's lists), for the workbook's Code mapping. */
  readonly codeValues?: ((codeSystem: string) => ReadonlyArray<string> | undefined) | undefined
  /** The returns to write, and the masking of their values (the level the report data was masked at). */
  readonly returns?: { readonly files: ReadonlyArray<ReturnFile>; readonly masker: Masking.Masker } | undefined
}

export interface Written {
  readonly directory: string
  readonly files: ReadonlyArray<string>
}

/**
 * Writes every report of a run, reading its findings and figure lines a page at a time: the HTML report with the
 * counts and the first rows of each list, the workbook, JSON and CSV files with all of them.
 */
export const write = async (
  directory: string,
  data: ReportData.ReportData,
  gates: ReadonlyArray<GateResult>,
  options: Options
): Promise<Written> => {
  await mkdir(path.join(directory, "csv"), { recursive: true, mode: 0o700 })
  await chmod(directory, 0o700)
  await chmod(path.join(directory, "csv"), 0o700)
  const files: Array<string> = []
  const put = async (name: string, f: (sink: Sink.Sink) => Promise<void>) => {
    const file = path.join(directory, name)
    await Sink.toFile(file, f)
    files.push(file)
  }
  const text = (content: string) => (sink: Sink.Sink) => sink.write(content)
  await put("report.html", text(await Html.render(data, gates, options)))
  await put("report.json", (sink) => Formats.writeJson(sink, data, gates))
  await put("summary.md", text(Formats.markdown(data, gates)))
  await put("junit.xml", text(await Formats.junit(data, gates)))
  await put(path.join("csv", "entities.csv"), text(Formats.entitiesCsv(data)))
  await put(path.join("csv", "figures.csv"), (sink) => Formats.writeFiguresCsv(sink, data))
  for (const { check } of ReportData.checks(data)) {
    if (Worklists.ofCheck(check) !== undefined) continue
    await put(path.join("csv", `findings-${Formats.fileName(check)}.csv`), (sink) => Formats.writeFindingsCsv(sink, data.pages.findings({ checks: [check] })))
  }
  for (const worklist of Worklists.worklists) {
    await put(path.join("csv", `worklist-${worklist.id}.csv`), (sink) => Formats.writeWorklistCsv(sink, Worklists.header(worklist), Worklists.rows(data, worklist, options.owners)))
  }
  for (const r of options.returns?.files ?? []) {
    await put(r.file, (sink) => Formats.writeReturnCsv(sink, r.columns, r.rows(), options.returns!.masker))
  }
  const workbook = path.join(directory, "report.xlsx")
  await Sink.toStream(workbook, (stream) => Xlsx.write(stream, data, gates, options))
  files.push(workbook)
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

/**
 * Writes every report as `write` does, failing with a `ReportsError` when the folder or a file cannot be written, and
 * with the `DatabaseError` when the findings or figure lines cannot be read.
 */
export const writeAll = (
  directory: string,
  data: ReportData.ReportData,
  gates: ReadonlyArray<GateResult>,
  options: Options
): Effect.Effect<Written, ReportsError | Database.DatabaseError> =>
  Effect.tryPromise({
    try: () => write(directory, data, gates, options),
    catch: (cause) => (cause instanceof Database.DatabaseError ? cause : cannotWrite(directory)(cause))
  })

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
