import ExcelJS from "exceljs"
const [, , input, output] = process.argv
const book = new ExcelJS.Workbook()
await book.xlsx.readFile(input!)
const decide = (sheetName: string, rowNo: number, values: Record<string, unknown>) => {
  const sheet = book.getWorksheet(sheetName)!
  const header = (sheet.getRow(1).values as Array<unknown>).map((v) => String(v ?? ""))
  for (const [k, v] of Object.entries(values)) sheet.getRow(rowNo).getCell(header.indexOf(k)).value = v as ExcelJS.CellValue
}
decide("Fix at source", 2, { decision: "fix at source", reason: "the office will correct it", by: "Jo Bloggs" })
decide("Check", 3, { decision: "accepted", reason: "known", until: new Date("2027-06-30") })
decide("Possible duplicates", 2, { decision: "same person", reason: "same GP, same address" })
decide("Possible duplicates", 3, { decision: "different people", reason: "twins" })
decide("Code mapping", 2, { decision: "map to", "map to": "Not stated", reason: "an old code" })
if (process.argv[4] === "bad") {
  decide("Check", 4, { decision: "maybe", reason: "x" })
  decide("Check", 5, { decision: "accepted", reason: "y", until: new Date("2020-01-01") })
  decide("Fix at source", 3, { decision: "same person", reason: "z" })
  const s = book.getWorksheet("Check")!
  s.getRow(6).getCell(1).value = (book.getWorksheet("Check")!.getRow(3).getCell(1).value) as ExcelJS.CellValue
  decide("Check", 6, { decision: "fix at source", reason: "twice" })
}
await book.xlsx.writeFile(output!)
