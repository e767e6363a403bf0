/**
 * Personal data in the reports of a real rehearsal, on every test database, through the real command in a child
 * process: a SWIFT estate of 200 clients is rehearsed (`handover rehearse`); a few of the migrated people are then
 * changed in the target, so that the record check names them (a first name holding the whole name, a surname holding
 * "SURNAME Forename" or "Surname, Forename" or only changed in case, an NHS number lost, a date of birth a day out);
 * a quarantine reason is made to carry an NHS number where nobody expected one, the run is reconciled again
 * (`handover reconcile`), and a decision is typed with another person's NHS number in its reason
 * (`handover triage`). The reports are then written three times (`handover report --reveal masked`,
 * `pseudonymised` and `full`).
 *
 * Every client's identifying values are read from the legacy database — the full name in three orders, the NHS number
 * (the valid ones) plain, spaced and hyphenated, the date of birth in ISO and dd/mm/yyyy form next to the person's
 * surname or target key — with every quarantine and decision reason that carries one of them, and looked for in every
 * report file: `report.html` (as written, as text without its markup, and the data its script puts into the page),
 * `report.json` (as written and its strings), `summary.md`, `junit.xml`, every CSV file and every cell of
 * `report.xlsx`. Masked and pseudonymised reports hold none; pseudonyms are the keyed ones Masking promises, each
 * resolving to one person, and wherever the full reports show a person's NHS number or name, the pseudonymised file
 * shows that person's pseudonym and the masked file the last four digits. The full reports show every kind of value
 * through every channel, so the search finds what it looks for; and reports written in this process by
 * `ReportData.load` with masking switched off (while they say masked) are caught leaking through every channel.
 */
import { assert, describe, it } from "@effect/vitest"
import { NhsNumber } from "@handover/core"
import { Gates, Masking, ReportData, Reports } from "@handover/report"
import { ControlSchema, Database, Table } from "@handover/sql"
import { LegacyTables, TargetTables } from "@handover/swift-to-ias"
import { TestDatabase } from "@handover/testkit"
import * as Effect from "effect/Effect"
import ExcelJS from "exceljs"
import { createHmac } from "node:crypto"
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { handover, type Outcome } from "./command.ts"

const clients = 200
const seed = 5
const rehearsal = "masking"
const key = "masking-test-pseudonym-key-4Rt8-Qw2z"
const controlSchema = ControlSchema.defaultSchema
const targetSchema = "ias"
const levels = ["masked", "pseudonymised", "full"] as const

/** A legacy client, by the values that identify a person. */
interface Client {
  readonly legacyKey: string
  /** The person it was loaded as, if it was. */
  readonly targetKey: string | undefined
  readonly forename: string | null
  readonly surname: string | null
  /** A valid NHS number, ten digits. */
  readonly nhs: string | null
  /** The date of birth as ISO yyyy-mm-dd, when the legacy text is a date in ISO or dd/mm/yyyy form. */
  readonly dob: string | null
}

type Kind = "name" | "nhs" | "birth" | "reason"

/** A value found where it should not be, or where it should. */
interface Hit {
  readonly file: string
  readonly client: string
  readonly kind: Kind
  readonly form: string
}

const spaced = (nhs: string) => `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`
const hyphenated = (nhs: string) => `${nhs.slice(0, 3)}-${nhs.slice(3, 6)}-${nhs.slice(6)}`
const dmy = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`

const isoOf = (text: string | null): string | null => {
  const t = text?.trim() ?? ""
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t)
  if (iso) return t
  const british = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(t)
  return british ? `${british[3]}-${british[2]}-${british[1]}` : null
}

/** The name forms of a client that identify the person: "Forename Surname", "Surname, Forename", "SURNAME Forename". */
const nameForms = (c: Client): ReadonlyArray<readonly [string, string]> =>
  c.forename === null || c.surname === null
    ? []
    : [["forename surname", `${c.forename} ${c.surname}`], ["surname, forename", `${c.surname}, ${c.forename}`], ["SURNAME forename", `${c.surname.toUpperCase()} ${c.forename}`]]

const nhsForms = (c: Client): ReadonlyArray<readonly [string, string]> =>
  c.nhs === null ? [] : [["plain", c.nhs], ["spaced", spaced(c.nhs)], ["hyphenated", hyphenated(c.nhs)]]

/** The keyed pseudonym Masking promises: HMAC-SHA-256 of the kind and the value in capitals, 12 hex digits. */
const pseudonym = (kind: string, value: string) =>
  `${kind}-${createHmac("sha256", key).update(`${kind}\u0000${value.trim().toUpperCase()}`).digest("hex").slice(0, 12)}`

const letter = /\p{L}/u
const digit = /\d/

/** Where a needle (lower case) occurs in a text (lower case) as a whole: no letter, or no digit, running on either side. */
const occurrences = (text: string, needle: string, boundary: RegExp): Array<number> => {
  const out: Array<number> = []
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
    const before = text[at - 1] ?? ""
    const after = text[at + needle.length] ?? ""
    if (!boundary.test(before) && !boundary.test(after)) out.push(at)
  }
  return out
}

/** Every identifying value of the clients, and the reasons that carry one, looked for in texts. */
const detector = (people: ReadonlyArray<Client>, reasons: ReadonlyArray<readonly [string, string]>) => {
  const near = 80
  const nearKey = 200
  const find = (file: string, raw: string): Array<Hit> => {
    const text = raw.toLowerCase()
    const hits: Array<Hit> = []
    for (const c of people) {
      for (const [form, value] of nameForms(c)) {
        if (occurrences(text, value.toLowerCase(), letter).length > 0) hits.push({ file, client: c.legacyKey, kind: "name", form })
      }
      for (const [form, value] of nhsForms(c)) {
        if (occurrences(text, value, digit).length > 0) hits.push({ file, client: c.legacyKey, kind: "nhs", form })
      }
      if (c.dob !== null) {
        const surname = c.surname?.toLowerCase()
        const targetKey = c.targetKey?.toLowerCase()
        for (const [form, value] of [["ISO", c.dob], ["dd/mm/yyyy", dmy(c.dob)]] as const) {
          for (const at of occurrences(text, value, digit)) {
            const byName = surname !== undefined && occurrences(text.slice(Math.max(0, at - near - surname.length), at + value.length + near + surname.length), surname, letter).length > 0
            const byKey = targetKey !== undefined && text.slice(Math.max(0, at - nearKey - targetKey.length), at + value.length + nearKey + targetKey.length).includes(targetKey)
            if (byName || byKey) {
              hits.push({ file, client: c.legacyKey, kind: "birth", form: `${form} next to the ${byName ? "surname" : "target key"}` })
              break
            }
          }
        }
      }
    }
    for (const [client, reason] of reasons) {
      if (text.includes(reason.toLowerCase())) hits.push({ file, client, kind: "reason", form: reason.slice(0, 40) })
    }
    return hits
  }
  return { find }
}

/** The XML character references and entities HTML and XML reports use, decoded. */
const decodeEntities = (text: string) =>
  text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    const lower = e.toLowerCase()
    if (lower.startsWith("#x")) return String.fromCodePoint(parseInt(lower.slice(2), 16))
    if (lower.startsWith("#")) return String.fromCodePoint(Number(lower.slice(1)))
    return ({ amp: "&", lt: "<", gt: ">", quot: "\"", apos: "'" } as Record<string, string>)[lower]!
  })

/** Every string inside a JSON value, a line each, in document order. */
const strings = (value: unknown, out: Array<string> = []): Array<string> => {
  if (typeof value === "string") out.push(value)
  else if (typeof value === "number" || typeof value === "boolean") out.push(String(value))
  else if (Array.isArray(value)) for (const v of value) strings(v, out)
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push(k)
      strings(v, out)
    }
  }
  return out
}

interface ReportTexts {
  /** Relative file name → the texts to search in it. */
  readonly files: ReadonlyMap<string, ReadonlyArray<string>>
  readonly cells: number
  /** The findings as each structured file gives them: fingerprint → legacy and target value. */
  readonly findings: ReadonlyMap<string, ReadonlyMap<string, string>>
  /** Every legacy and target value of a finding in `report.json`. */
  readonly values: ReadonlyArray<string>
}

/** Every file of a reports folder as the texts a reader could see in it. */
const readReports = async (folder: string): Promise<ReportTexts> => {
  const files = new Map<string, ReadonlyArray<string>>()
  const findings = new Map<string, Map<string, string>>()
  const record = (file: string, fingerprint: string, legacy: unknown, target: unknown) => {
    const m = findings.get(file) ?? new Map<string, string>()
    m.set(fingerprint, `${legacy ?? ""} → ${target ?? ""}`)
    findings.set(file, m)
  }
  const values: Array<string> = []
  let cells = 0
  for (const entry of await readdir(folder, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    const name = path.relative(folder, file)
    if (name.endsWith(".xlsx")) {
      const book = new ExcelJS.Workbook()
      await book.xlsx.readFile(file)
      const rows: Array<string> = []
      book.eachSheet((sheet) => {
        let header: Array<string> = []
        sheet.eachRow({ includeEmpty: false }, (row, n) => {
          const texts: Array<string> = []
          row.eachCell({ includeEmpty: false }, (cell, column) => {
            cells++
            texts[column] = cell.text
          })
          rows.push(texts.filter((t) => t !== undefined).join(" | "))
          if (n === 1) header = texts
          const at = (c: string) => header.indexOf(c)
          if (n > 1 && at("fingerprint") > 0 && at("legacyValue") > 0) record(name, texts[at("fingerprint")]!, texts[at("legacyValue")], texts[at("targetValue")])
        })
      })
      files.set(name, [rows.join("\n")])
      continue
    }
    const text = await readFile(file, "utf8")
    if (name.endsWith(".html")) {
      const data = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(text)
      const shown = decodeEntities(text.replace(/<[^>]*>/g, " "))
      files.set(name, [text, shown, data === null ? "" : strings(JSON.parse(data[1]!)).join("\n")])
    } else if (name.endsWith(".json")) {
      const parsed = JSON.parse(text) as { readonly findings: ReadonlyArray<Record<string, string | null>> }
      for (const f of parsed.findings) {
        // the worklists' items are compared apart: their CSV files and sheets have columns of their own
        record(String(f.check).startsWith("migration.") ? `${name} worklists` : name, f.fingerprint!, f.legacyValue, f.targetValue)
        for (const v of [f.legacyValue, f.targetValue]) if (typeof v === "string") values.push(v)
      }
      files.set(name, [text, strings(parsed).join("\n")])
    } else if (name.endsWith(".xml")) {
      files.set(name, [text, decodeEntities(text)])
    } else if (name.endsWith(".csv")) {
      const lines = text.split("\n")
      const header = lines[0]!.split(",")
      if (header.includes("fingerprint") && header.includes("legacyValue")) {
        // the legacy and target values of a finding, from a row read as CSV (quoted fields may hold commas)
        for (const line of lines.slice(1).filter((l) => l !== "")) {
          const fields = [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)].map((m) => m[1]!.replace(/^"([\s\S]*)"$/, "$1").replaceAll("\"\"", "\""))
          record(name, fields[header.indexOf("fingerprint")]!, fields[header.indexOf("legacyValue")], fields[header.indexOf("targetValue")])
        }
      }
      files.set(name, [text])
    } else {
      files.set(name, [text])
    }
  }
  return { files, cells, findings, values }
}

const search = (reports: ReportTexts, find: (file: string, text: string) => ReadonlyArray<Hit>): Array<Hit> => {
  const seen = new Set<string>()
  const out: Array<Hit> = []
  for (const [file, texts] of reports.files) {
    for (const text of texts) {
      for (const h of find(file, text)) {
        const id = `${h.file} ${h.client} ${h.kind} ${h.form}`
        if (!seen.has(id)) {
          seen.add(id)
          out.push(h)
        }
      }
    }
  }
  return out
}

const describeHits = (hits: ReadonlyArray<Hit>) => hits.slice(0, 20).map((h) => `${h.file}: client ${h.client} ${h.kind} (${h.form})`).join("\n")

/** Opens a database in this process, for one piece of work, closed afterwards (no command may have it open). */
const withDatabase = <A>(url: string, f: (db: Database.Database) => Effect.Effect<A, unknown>): Promise<A> =>
  Effect.runPromise(Effect.scoped(Effect.flatMap(Database.openUrl(url), f)))

const readClients = async (legacyUrl: string, targetUrl: string, runId: string): Promise<ReadonlyArray<Client>> => {
  const keys = await withDatabase(targetUrl, (db) =>
    db.use("read the xref", async (d) =>
      new Map(
        (await d.queryText(
          `SELECT legacy_key, target_key FROM ${d.dialect.qualify(ControlSchema.tables(controlSchema).xref)} WHERE run_id = ${d.dialect.placeholder(1)} AND entity = 'client' AND outcome = 'loaded'`,
          [runId]
        )).map((r) => [r[0]!, r[1]!] as const)
      )))
  const rows = await withDatabase(legacyUrl, (db) =>
    db.use("read the clients", (d) =>
      d.queryText(`SELECT client_no, forename, surname, nhs_no_text, dob_text FROM ${d.dialect.qualify(LegacyTables.client)} ORDER BY client_no`)))
  const blank = (t: string | null) => (t === null || t.trim() === "" ? null : t.trim().replace(/\s+/g, " "))
  return rows.map(([no, forename, surname, nhs, dob]) => {
    const parsed = NhsNumber.parse(nhs ?? null)
    return {
      legacyKey: no!,
      targetKey: keys.get(no!),
      forename: blank(forename ?? null),
      surname: blank(surname ?? null),
      nhs: parsed._tag === "Valid" ? parsed.nhsNumber : null,
      dob: isoOf(dob ?? null)
    }
  })
}

/** The people whose records are changed in the target, each for one way personal data reaches a report. */
interface Chosen {
  /** first_name holds "Forename Surname". */
  readonly wholeName: Client
  /** last_name holds "SURNAME Forename". */
  readonly surnameFirst: Client
  /** last_name holds "Surname, Forename". */
  readonly commaName: Client
  /** last_name only in capitals: the same name, the same pseudonym. */
  readonly capitals: Client
  /** nhs_number lost: the legacy value is the NHS number. */
  readonly nhsLost: Client
  /** date_of_birth a day out: both values are dates of birth. */
  readonly birthShifted: Client
  /** Named by NHS number in the reason of a triage decision. */
  readonly inDecision: Client
  /** Named by NHS number in a quarantine reason. */
  readonly inQuarantine: Client
}

const choose = (people: ReadonlyArray<Client>): Chosen => {
  const fit = people.filter((c) =>
    c.targetKey !== undefined && c.forename !== null && c.surname !== null && c.nhs !== null && c.dob !== null && c.dob >= "1910" && c.dob < "2010" &&
      c.surname !== c.surname.toUpperCase()
  )
  assert.isAtLeast(fit.length, 8, "clients migrated with a name, a valid NHS number and a date of birth")
  const [wholeName, surnameFirst, commaName, capitals, nhsLost, birthShifted, inDecision, inQuarantine] = fit as [Client, Client, Client, Client, Client, Client, Client, Client]
  return { wholeName, surnameFirst, commaName, capitals, nhsLost, birthShifted, inDecision, inQuarantine }
}

/** Changes the chosen people in the target and a quarantine reason of the run, as described above. */
const plant = (targetUrl: string, runId: string, chosen: Chosen) =>
  withDatabase(targetUrl, (db) =>
    db.use("change people in the target", async (d) => {
      const person = d.dialect.qualify(Table.inSchema(TargetTables.person, targetSchema))
      const p = (n: number) => d.dialect.placeholder(n)
      const set = (column: string, value: string | null, c: Client) =>
        d.query(`UPDATE ${person} SET ${column} = ${p(1)} WHERE person_id = ${p(2)}`, [value, c.targetKey])
      await set("first_name", `${chosen.wholeName.forename} ${chosen.wholeName.surname}`, chosen.wholeName)
      await set("last_name", `${chosen.surnameFirst.surname!.toUpperCase()} ${chosen.surnameFirst.forename}`, chosen.surnameFirst)
      await set("last_name", `${chosen.commaName.surname}, ${chosen.commaName.forename}`, chosen.commaName)
      await set("last_name", chosen.capitals.surname!.toUpperCase(), chosen.capitals)
      await set("nhs_number", null, chosen.nhsLost)
      await d.query(`UPDATE ${person} SET date_of_birth = date_of_birth + 1 WHERE person_id = ${p(1)}`, [chosen.birthShifted.targetKey])
      const quarantine = d.dialect.qualify(ControlSchema.tables(controlSchema).quarantine)
      const [held] = await d.queryText(`SELECT entity, legacy_key FROM ${quarantine} WHERE run_id = ${p(1)} ORDER BY entity, legacy_key`, [runId])
      assert.isDefined(held, "the run quarantined a row")
      const nhs = chosen.inQuarantine.nhs!
      await d.query(
        `UPDATE ${quarantine} SET reason = reason || ${p(1)} WHERE run_id = ${p(2)} AND entity = ${p(3)} AND legacy_key = ${p(4)}`,
        [`; the record also gives NHS number ${spaced(nhs)} (${nhs} in SWIFT)`, runId, held![0], held![1]]
      )
    }))

/** The quarantine and decision reasons that carry a client's identifying value, with the client. */
const personalReasons = async (targetUrl: string, runId: string, people: ReadonlyArray<Client>) => {
  const texts = await withDatabase(targetUrl, (db) =>
    db.use("read reasons", async (d) => {
      const t = ControlSchema.tables(controlSchema)
      return [
        ...(await d.queryText(`SELECT reason FROM ${d.dialect.qualify(t.quarantine)} WHERE run_id = ${d.dialect.placeholder(1)}`, [runId])),
        ...(await d.queryText(`SELECT reason FROM ${d.dialect.qualify(t.exclusion)} WHERE run_id = ${d.dialect.placeholder(1)}`, [runId])),
        ...(await d.queryText(`SELECT reason FROM ${d.dialect.qualify(t.triage)}`))
      ].map((r) => r[0] ?? "")
    }))
  const find = detector(people, []).find
  const out: Array<readonly [string, string]> = []
  for (const reason of new Set(texts)) for (const h of find("reason", reason)) out.push([h.client, reason])
  return { read: texts.length, personal: out }
}

const tail = (o: Outcome) => `exit ${o.code} after ${o.ms} ms\n${o.stdout.split("\n").slice(-8).join("\n")}\n${o.stderr.split("\n").slice(-8).join("\n")}`

const run = async (args: ReadonlyArray<string>, cwd: string, what: string): Promise<Outcome> => {
  const o = await handover(args, cwd)
  assert.strictEqual(o.code, 0, `${what}: ${tail(o)}`)
  return o
}

const byKind = (hits: ReadonlyArray<Hit>) =>
  [...new Set(hits.map((h) => h.kind))].map((kind) => {
    const list = hits.filter((h) => h.kind === kind)
    return `${kind} ${list.length} in ${new Set(list.map((h) => h.file)).size} files`
  }).join(", ")

const keyOf = (hits: ReadonlyArray<Hit>) => new Set(hits.map((h) => `${h.client} ${h.kind}`))

/** The whole trial on one pair of databases. */
const trial = async (dialect: string, legacyUrl: string, targetUrl: string) => {
  const started = Date.now()
  const timings: Array<string> = []
  const lap = (what: string, since: number) => timings.push(`${what} ${((Date.now() - since) / 1000).toFixed(1)} s`)
  const cwd = await mkdtemp(path.join(tmpdir(), "handover-masking-"))
  const keyBefore = process.env.HANDOVER_PSEUDONYM_KEY
  try {
    let t = Date.now()
    const rehearsed = await run(
      [
        "rehearse", "--legacy", legacyUrl, "--target", targetUrl, "--clients", String(clients), "--seed", String(seed), "--rehearsal", rehearsal,
        "--gates", "report", "--progress", "none", "--json", "--reports", "rehearsal-reports"
      ],
      cwd,
      "the rehearsal"
    )
    const runId = (JSON.parse(rehearsed.stdout.trim().split("\n").at(-1)!) as { run: { runId: string } }).run.runId
    lap("rehearse", t)

    const people = await readClients(legacyUrl, targetUrl, runId)
    const chosen = choose(people)
    await plant(targetUrl, runId, chosen)
    t = Date.now()
    await run(["reconcile", "--legacy", legacyUrl, "--target", targetUrl, "--rehearsal", rehearsal], cwd, "the reconciliation")
    lap("reconcile", t)
    const [fingerprint] = await withDatabase(targetUrl, (db) =>
      db.use("read a finding", (d) =>
        d.queryText(
          `SELECT fingerprint FROM ${d.dialect.qualify(ControlSchema.tables(controlSchema).finding)} WHERE run_id = ${d.dialect.placeholder(1)} AND legacy_key = ${d.dialect.placeholder(2)} AND field = 'date_of_birth'`,
          [runId, chosen.birthShifted.legacyKey]
        )))
    assert.isDefined(fingerprint, "the record check finds the date of birth a day out")
    const decided = chosen.inDecision.nhs!
    await run(
      [
        "triage", "--target", targetUrl, "--finding", fingerprint![0]!, "--decision", "accepted", "--by", "a.reviewer",
        "--reason", `checked with the GP against ${spaced(decided)} (typed ${decided} in SWIFT)`
      ],
      cwd,
      "the triage decision"
    )

    // rehearsed once, reported three times
    t = Date.now()
    // the command reads the key from its environment, which it has from this process
    process.env.HANDOVER_PSEUDONYM_KEY = key
    for (const level of levels) {
      await run(["report", "--target", targetUrl, "--rehearsal", rehearsal, "--reveal", level, "--reports", level], cwd, `the ${level} reports`)
    }
    lap("report ×3", t)

    const reasons = await personalReasons(targetUrl, runId, people)
    const find = detector(people, reasons.personal).find
    t = Date.now()
    const reports = Object.fromEntries(await Promise.all([...levels, "rehearsal-reports"].map(async (l) => [l, await readReports(path.join(cwd, l))] as const)))
    const hits = Object.fromEntries(Object.entries(reports).map(([l, r]) => [l, search(r, find)]))
    lap("read and search four report folders", t)

    // the same files at every level, every kind of file there
    const names = [...reports.full!.files.keys()].sort()
    const expectedFiles = ["report.html", "report.json", "summary.md", "junit.xml", "report.xlsx", path.join("csv", "entities.csv"), path.join("csv", "findings-record.las-person.csv")]
    for (const expected of expectedFiles) assert.include(names, expected)
    for (const level of ["masked", "pseudonymised"] as const) assert.deepStrictEqual([...reports[level]!.files.keys()].sort(), names, level)

    // full: every kind of value, through every channel, is found: the search finds what it looks for
    const full = keyOf(hits.full!)
    const wanted = [
      [chosen.wholeName, "name"],
      [chosen.surnameFirst, "name"],
      [chosen.commaName, "name"],
      [chosen.nhsLost, "nhs"],
      [chosen.birthShifted, "birth"],
      [chosen.inDecision, "nhs"],
      [chosen.inQuarantine, "nhs"],
      [chosen.inDecision, "reason"],
      [chosen.inQuarantine, "reason"]
    ] as const
    for (const [c, kind] of wanted) assert.isTrue(full.has(`${c.legacyKey} ${kind}`), `the full reports show client ${c.legacyKey}'s ${kind}:\n${describeHits(hits.full!)}`)
    const forms = new Set(hits.full!.map((h) => `${h.kind} ${h.form.replace(/ next to.*/, "")}`))
    for (const form of ["name forename surname", "name surname, forename", "name SURNAME forename", "nhs plain", "nhs spaced", "birth ISO"]) {
      assert.isTrue(forms.has(form), `the full reports show a ${form}`)
    }

    // masked and pseudonymised: nothing
    for (const level of ["masked", "pseudonymised", "rehearsal-reports"]) assert.deepStrictEqual(describeHits(hits[level]!), "", `${level} reports hold personal data`)

    // the same findings in every structured file, at every level
    for (const level of levels) {
      const byFile = reports[level]!.findings
      const json = byFile.get("report.json")!
      const csv = new Map([...byFile].filter(([f]) => f.endsWith(".csv")).flatMap(([, m]) => [...m]))
      const xlsx = byFile.get("report.xlsx")!
      assert.isAbove(json.size, 0)
      assert.deepStrictEqual(new Map([...csv].sort()), new Map([...json].sort()), `${level}: the CSV files and report.json`)
      for (const [f, v] of xlsx) assert.strictEqual(v, json.get(f), `${level}: the workbook and report.json, finding ${f}`)
      // every worklist item in its worklist's CSV file, by its fingerprint
      const items = byFile.get("report.json worklists")
      assert.isAbove(items?.size ?? 0, 0, `${level}: worklist items`)
      const listed = new Set([...reports[level]!.files].filter(([f]) => f.includes("worklist-")).flatMap(([, [text]]) => text!.split("\n").slice(1).map((l) => l.split(",")[0]!)))
      for (const f of items!.keys()) assert.isTrue(listed.has(f), `${level}: worklist item ${f} in a worklist's CSV file`)
      assert.deepStrictEqual([...json.keys()].sort(), [...reports.full!.findings.get("report.json")!.keys()].sort(), `${level}: the findings of the full reports`)
    }

    // pseudonyms: each one Masking's keyed pseudonym of a client's value, and a person's pseudonym wherever the full
    // reports show the person; the last four digits of the NHS number in the masked reports
    // pseudonym → whose value it is (records of one person, or people of one name, share it)
    const table = new Map<string, Set<string>>()
    const owns = (p: string, owner: string) => table.set(p, (table.get(p) ?? new Set()).add(owner))
    for (const c of people) {
      if (c.nhs !== null) owns(pseudonym("nhs", c.nhs), `${c.legacyKey} nhs`)
      for (const value of [c.forename, c.surname, ...nameForms(c).map(([, v]) => v)]) if (value !== null) owns(pseudonym("name", value), `${c.legacyKey} name`)
    }
    const tokens = new Map<string, Set<string>>()
    for (const [file, texts] of reports.pseudonymised!.files) {
      for (const text of texts) for (const m of text.matchAll(/\b(nhs|name)-[0-9a-f]{12}\b/g)) tokens.set(m[0], (tokens.get(m[0]) ?? new Set()).add(file))
    }
    // a value that is no person's but sits in a field named like one (the count of a figure of NHS numbers) is
    // pseudonymised too: traced to the finding value the full reports show
    const notPersonal = new Map<string, string>()
    for (const v of reports.full!.values) for (const p of [pseudonym("nhs", v.replace(/\D/g, "")), pseudonym("name", v)]) if (!table.has(p)) notPersonal.set(p, v)
    const unresolved = [...tokens.keys()].filter((p) => !table.has(p) && !notPersonal.has(p)).map((p) => `${p} in ${[...tokens.get(p)!].join(", ")}`)
    assert.deepStrictEqual(unresolved, [], "pseudonyms that are no client's keyed pseudonym, nor that of a value of a finding")
    const overMasked = [...tokens.keys()].filter((p) => notPersonal.has(p)).map((p) => `${p} (${notPersonal.get(p)})`)
    const pseudonymsOf = (file: string) => new Set([...tokens].filter(([p, files]) => files.has(file) && table.has(p)).flatMap(([p]) => [...table.get(p)!]))
    const maskedText = (file: string) => reports.masked!.files.get(file)!.join("\n")
    let compared = 0
    for (const h of hits.full!.filter((h) => h.kind === "nhs" || h.kind === "name")) {
      compared++
      assert.isTrue(pseudonymsOf(h.file).has(`${h.client} ${h.kind}`), `pseudonymised ${h.file} names client ${h.client}'s ${h.kind} by its pseudonym`)
      if (h.kind === "nhs") assert.include(maskedText(h.file), `******${people.find((c) => c.legacyKey === h.client)!.nhs!.slice(-4)}`, `masked ${h.file}`)
    }
    // a name in capitals is the same name: one pseudonym for both values of the finding
    const capitals = reports.pseudonymised!.findings.get("report.json")!
    const same = [...capitals.values()].filter((v) => v === `${pseudonym("name", chosen.capitals.surname!)} → ${pseudonym("name", chosen.capitals.surname!)}`)
    assert.strictEqual(same.length, 1, "the surname in capitals has the pseudonym of the surname")
    // the NHS number in a finding, in a decision reason and in a quarantine reason: the same pseudonym as a value would have
    for (const c of [chosen.nhsLost, chosen.inDecision, chosen.inQuarantine]) {
      assert.include(reports.pseudonymised!.files.get("report.json")![0]!, pseudonym("nhs", c.nhs!), `client ${c.legacyKey}'s NHS number`)
    }

    // the negative control: the same code path with masking switched off, while the reports say masked
    t = Date.now()
    const unmasked: Masking.Masker = { reveal: "masked", value: (_field, value) => value, text: (text) => text, about: (_field, text) => text, opaque: (value) => value }
    const inProcess = async (masker: Masking.Masker, folder: string) => {
      // the findings and figure lines are read a page at a time while the reports are written: with the database open
      await withDatabase(targetUrl, (db) =>
        Effect.gen(function*() {
          const data = yield* ReportData.load(db, { runId, masker })
          yield* Reports.writeAll(path.join(cwd, folder), data, Gates.evaluate(data), { owners: [{ name: "People", entities: ["client"], figures: [] }] })
        }))
      return search(await readReports(path.join(cwd, folder)), find)
    }
    const leaked = await inProcess(unmasked, "unmasked-in-process")
    const caught = keyOf(leaked)
    for (const [c, kind] of wanted) assert.isTrue(caught.has(`${c.legacyKey} ${kind}`), `reports not masked are caught leaking client ${c.legacyKey}'s ${kind}`)
    assert.deepStrictEqual(describeHits(await inProcess(Masking.make("masked"), "masked-in-process")), "", "masked in this process")
    lap("negative control", t)

    const values = people.reduce((n, c) => n + nameForms(c).length + nhsForms(c).length + (c.dob === null ? 0 : 2), 0)
    const files = Object.values(reports).reduce((n, r) => n + r.files.size, 0)
    const cells = Object.values(reports).reduce((n, r) => n + r.cells, 0)
    console.log(
      `masking on ${dialect}: ${people.length} clients, ${values} identifying values (${people.filter((c) => c.forename !== null && c.surname !== null).length} names ×3, ` +
        `${people.filter((c) => c.nhs !== null).length} valid NHS numbers ×3, ${people.filter((c) => c.dob !== null).length} dates of birth ×2), ` +
        `${reasons.read} quarantine, exclusion and decision reasons read, of which ${new Set(reasons.personal.map(([, r]) => r)).size} carry personal data; ` +
        `${files} files and ${cells} workbook cells searched in four folders; found: ` +
        Object.entries(hits).map(([l, h]) => `${l} ${h.length}${h.length === 0 ? "" : ` (${byKind(h)})`}`).join(", ") +
        `; ${tokens.size} distinct pseudonyms, ${tokens.size - overMasked.length} of clients' values` +
        (overMasked.length === 0 ? "" : `, ${overMasked.length} of values that are no person's: ${overMasked.join(", ")}`) +
        `; ${compared} values of the full reports found as their pseudonym; ` +
        `unmasked in process: ${leaked.length} found (${byKind(leaked)}); ${timings.join(", ")}, ${((Date.now() - started) / 1000).toFixed(1)} s in all`
    )
  } finally {
    if (keyBefore === undefined) delete process.env.HANDOVER_PSEUDONYM_KEY
    else process.env.HANDOVER_PSEUDONYM_KEY = keyBefore
    await rm(cwd, { recursive: true, force: true })
  }
}

const timeout = 300_000

describe.skipIf(!TestDatabase.dialects().includes("pglite"))("personal data in the reports of a rehearsal, on pglite", () => {
  it("masked and pseudonymised reports hold none of it; full ones show it", async () => {
    const folder = await mkdtemp(path.join(tmpdir(), "handover-masking-pglite-"))
    try {
      await trial("pglite", `pglite://${folder}/legacy`, `pglite://${folder}/target`)
    } finally {
      await rm(folder, { recursive: true, force: true })
    }
  }, timeout)
})

describe.skipIf(!TestDatabase.dialects().includes("postgres"))("personal data in the reports of a rehearsal, on postgres", () => {
  it("masked and pseudonymised reports hold none of it; full ones show it", async () => {
    await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
      const legacy = yield* TestDatabase.freshPostgres
      const target = yield* TestDatabase.freshPostgres
      yield* Effect.promise(() => trial("postgres", legacy.url, target.url))
    })))
  }, timeout)
})
