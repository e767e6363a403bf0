import { describe, expect, it } from "@effect/vitest"
import ExcelJS from "exceljs"
import * as fc from "fast-check"
import { mkdtemp, readdir, readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { Gates, Masking, Reports } from "../src/index.ts"
import { type Person, reportData } from "./SampleReport.ts"

const runs = Number(process.env.HANDOVER_PROPERTY_RUNS ?? 30)

/** A valid NHS number: nine digits and the Modulus 11 check digit. */
const nhsNumber = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 9, maxLength: 9 })
  .map((d) => {
    const sum = d.reduce((s, x, i) => s + x * (10 - i), 0)
    const check = 11 - (sum % 11)
    return check === 10 ? undefined : d.join("") + String(check === 11 ? 0 : check)
  })
  .filter((n): n is string => n !== undefined)

const namePart = fc.stringMatching(/^[A-Z][a-z]{2,12}(-[A-Z][a-z]{2,8})?$/)
const person: fc.Arbitrary<Person> = fc.record({
  first: namePart,
  last: namePart,
  nhs: nhsNumber,
  dob: fc.date({ min: new Date("1920-01-01"), max: new Date("2007-12-31"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10))
})

/** Every file of a written report, as text (the workbook unzipped by reading its XML parts is not needed: see below). */
const allText = async (directory: string): Promise<string> => {
  const out: Array<string> = []
  for (const entry of await readdir(directory, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && !entry.name.endsWith(".xlsx")) out.push(await readFile(path.join(entry.parentPath, entry.name), "utf8"))
  }
  return out.join("\n")
}

/** Every cell of every sheet of a workbook. */
const workbookText = async (file: string): Promise<string> => {
  const book = new ExcelJS.Workbook()
  await book.xlsx.readFile(file)
  const out: Array<string> = []
  book.eachSheet((sheet) => sheet.eachRow((row) => out.push(JSON.stringify(row.values))))
  return out.join("\n")
}

describe("masking", () => {
  it("masks by the kind of field", () => {
    const m = Masking.make("masked")
    expect(m.value("nhs_number", "943 476 5919")).toBe("******5919")
    expect(m.value("first_name", "Mary Ann")).toBe("M. A.")
    expect(m.value("date_of_birth", "1946-02-11")).toBe("1946")
    expect(m.value("dob_text", "11/02/1946")).toBe("1946")
    expect(m.value("postcode", "l1 8jq")).toBe("L1")
    expect(m.value("unit_rate", "21.40")).toBe("21.40")
    expect(m.text("typed as 9434765919 here")).toBe("typed as ******5919 here")
    // a text about a field: the field's values it quotes masked as the field's own are
    expect(m.about("dob_text", "dob_text: read as 1946-02-11 (two digit year), typed 11/02/46")).toBe("dob_text: read as 1946 (two digit year), typed ****")
    expect(m.about("forename", 'forename "J0hn Paul" holds a digit')).toBe('forename "J. P." holds a digit')
    expect(m.about("nhs_no_text", "9434765919 fails its check digit")).toBe("******5919 fails its check digit")
    expect(m.about("unit_rate", 'a rate of 21.40 from 2020-04-01 for "HOME CARE"')).toBe('a rate of 21.40 from 2020-04-01 for "HOME CARE"')
    expect(Masking.make("full").about("dob_text", "read as 1946-02-11")).toBe("read as 1946-02-11")
    // a care home's CQC location id has ten digits, and is no person's
    expect(m.value("Provider_CQC_Location_ID", "1-1234567890")).toBe("1-1234567890")
    expect(m.value("cqc_location_id", "1-1234567890")).toBe("1-1234567890")
    expect(m.value("reference", "1-1234567890")).toBe("1-******7890")
    expect(Masking.make("full").value("first_name", "Mary")).toBe("Mary")
    expect(() => Masking.make("pseudonymised")).toThrow(/HANDOVER_PSEUDONYM_KEY/)
    const p = Masking.make("pseudonymised", "a key of sixteen or more")
    expect(p.value("nhs_number", "943 476 5919")).toBe(p.value("nhs_no_text", "9434765919"))
    expect(p.value("nhs_number", "9434765919")).not.toContain("5919")
  })

  it("no report format holds a full NHS number or a full name when masking is on", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(person, { minLength: 1, maxLength: 4 }), fc.constantFrom<Masking.Reveal>("masked", "pseudonymised"), async (people, reveal) => {
        const masker = Masking.make(reveal, "the council's own secret key")
        const data = reportData(people, masker)
        const directory = await mkdtemp(path.join(tmpdir(), "handover-mask-"))
        await Reports.write(directory, data, Gates.evaluate(data), { owners: [{ name: "People", entities: ["client"], figures: [] }] })
        const text = await allText(directory)
        const workbook = await workbookText(path.join(directory, "report.xlsx"))
        for (const p of people) {
          for (const haystack of [text, workbook]) {
            expect(haystack).not.toContain(p.nhs)
            expect(haystack).not.toContain(`${p.nhs.slice(0, 3)} ${p.nhs.slice(3, 6)} ${p.nhs.slice(6)}`)
            expect(haystack).not.toContain(`${p.first} ${p.last}`)
            expect(haystack).not.toContain(p.dob)
          }
        }
      }),
      { numRuns: Math.max(5, Math.floor(runs / 3)) }
    )
  })

  it("writes reports readable by their owner only", async () => {
    const data = reportData([{ first: "Ada", last: "Lovelace", nhs: "9434765919", dob: "1946-02-11" }], Masking.make("masked"))
    const directory = await mkdtemp(path.join(tmpdir(), "handover-mode-"))
    const written = await Reports.write(directory, data, Gates.evaluate(data), { owners: [] })
    const { stat } = await import("node:fs/promises")
    expect((await stat(directory)).mode & 0o777).toBe(0o700)
    for (const file of written.files) expect((await stat(file)).mode & 0o777).toBe(0o600)
  })
})
