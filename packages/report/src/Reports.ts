/**
 * Writes every report of a rehearsal into one folder: `report.html`, `report.xlsx`, `report.json`, `summary.md`,
 * `junit.xml`, and CSV files (findings per check, figures, entities). The folder is made readable by its owner only
 * (0700) and every file 0600: reports hold personal data even when masked.
 */
import { chmod, mkdir, writeFile } from "node:fs/promises"
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
