/**
 * Clients into people: NHS numbers cleaned and checked, duplicates with one NHS number merged into one person,
 * dates of birth read with their accuracy, codes mapped to the CLD lists; afterwards, merged records that disagree
 * are flagged and likely duplicates without an NHS number go to the review queue.
 */
import { LegacyDate, LegacyText, NhsNumber, Pipeline } from "@handover/core"
import { Finding, WorklistItems } from "@handover/reconcile"
import { ControlSchema, Driver, Table } from "@handover/sql"
import * as Schema from "effect/Schema"
import * as Clean from "../Clean.ts"
import * as Codes from "../Codes.ts"
import * as LegacyTables from "../LegacyTables.ts"
import * as Rules from "../Rules.ts"
import * as TargetKey from "../TargetKey.ts"
import * as TargetTables from "../TargetTables.ts"

const text = Schema.NullOr(Schema.String)

export const ClientRow = Schema.Struct({
  client_no: LegacyText.IntFromText,
  title: LegacyText.OptionalText,
  forename: LegacyText.OptionalText,
  surname: LegacyText.OptionalText,
  dob_text: text,
  gender_code: text,
  ethnic_code: text,
  nhs_no_text: text,
  nhs_no_verified: text,
  date_of_death_text: text,
  psr_code: text,
  accommodation_code: text,
  employment_code: text,
  client_category: LegacyText.OptionalText,
  restricted_flag: text,
  merged_into_client_no: LegacyText.OptionalIntFromText
})
export type ClientRow = typeof ClientRow.Type

const columns = Object.keys(ClientRow.fields)

const r = Rules.person

export const transform = (row: ClientRow, context: Pipeline.TransformContext): Pipeline.Outcome => {
  if (row.client_category?.toUpperCase() === "TEST") return Pipeline.exclude(r.testClient, "a test client")
  if (row.merged_into_client_no !== null) {
    const survivor = context.targetKeyOf("client", String(row.merged_into_client_no))
    return survivor === undefined
      ? Pipeline.quarantine(r.merged, "merged_into_client_no", "recorded as merged into a client that was not migrated")
      : Pipeline.merge(survivor, r.merged)
  }
  const flags: Array<Pipeline.Flag> = []
  const nhs = NhsNumber.parse(row.nhs_no_text)
  if (nhs._tag === "Valid") {
    const survivor = context.matchedTargetKey(nhs.nhsNumber)
    if (survivor !== undefined) return Pipeline.merge(survivor, r.duplicate)
  } else if (nhs._tag === "NotKnown") {
    flags.push(Pipeline.flag(r.nhsMissing, "nhs_no_text", "warning", "no NHS number: migrated under the council's id"))
  } else {
    flags.push(Pipeline.flag(r.nhsInvalid, "nhs_no_text", "error", `${nhs.reason}: left out`))
  }

  const dates = Clean.all(
    Clean.dateWithAccuracy(row.dob_text, "dob_text", r.dob, context),
    Clean.date(row.date_of_death_text, "date_of_death_text", r.dod, context)
  )
  if (dates._tag === "Bad") {
    return Pipeline.quarantine(dates.index === 0 ? r.dob : r.dod, dates.index === 0 ? "dob_text" : "date_of_death_text", dates.reason)
  }
  flags.push(...dates.flags)
  const [born, dod] = dates.values
  let dob = born?.date ?? null
  let dobAccuracy: string = born?.accuracy ?? "unknown"
  if (dob !== null && Clean.isAtLeast(116, dob, Clean.today(context))) {
    flags.push(Pipeline.flag(r.dobAge, "dob_text", "warning", "an age over 115 at cut-over: the date of birth is left empty"))
    dob = null
    dobAccuracy = "unknown"
  }
  if (dob !== null && dod !== null && dod < dob) {
    return Pipeline.quarantine(r.dod, "date_of_death_text", "the date of death is before the date of birth")
  }

  const gender = Codes.map(context, "gender", row.gender_code, "gender_code", r.gender)
  const ethnicity = Codes.map(context, "ethnicity", row.ethnic_code, "ethnic_code", r.ethnicity)
  const psr = Codes.map(context, "primary_support_reason", row.psr_code, "psr_code", r.supportReason)
  const accommodation = Codes.map(context, "accommodation_status", row.accommodation_code, "accommodation_code", r.accommodation)
  const employment = Codes.map(context, "employment_status", row.employment_code, "employment_code", r.employment)
  for (const c of [gender, ethnicity, psr, accommodation, employment]) flags.push(...c.flags)
  const missing = [
    ...(gender.code === null ? ["gender_code"] : []),
    ...(ethnicity.code === null ? ["ethnic_code"] : []),
    ...(dob === null ? ["dob_text"] : []),
    ...(psr.code === null ? ["psr_code"] : []),
    ...(accommodation.code === null ? ["accommodation_code"] : [])
  ]
  if (missing.length > 0) {
    flags.push(Pipeline.flag(r.cldRequired, missing[0]!, "warning", `no value the CLD return can use for ${missing.join(", ")}`))
  }

  const personId = TargetKey.of("person", row.client_no)
  const outcome = Pipeline.load(
    personId,
    Pipeline.row(TargetTables.person, {
      person_id: personId,
      la_person_unique_identifier: String(row.client_no),
      nhs_number: nhs._tag === "Valid" ? nhs.nhsNumber : null,
      nhs_number_status: nhs._tag === "Valid"
        ? (Clean.yes(row.nhs_no_verified) ? "verified" : "unverified")
        : nhs._tag === "NotKnown" ? "absent" : "invalid_rejected",
      title: row.title,
      first_name: row.forename,
      last_name: row.surname,
      date_of_birth: dob,
      dob_accuracy: dobAccuracy,
      date_of_death: dod,
      gender: gender.code,
      ethnicity: ethnicity.code,
      primary_support_reason: psr.code,
      accommodation_status: accommodation.code,
      employment_status: employment.code,
      client_type: "Service user",
      restricted: Clean.yes(row.restricted_flag)
    })
  )
  return Pipeline.withMatchKey(Pipeline.withFlags(outcome, flags), nhs._tag === "Valid" ? nhs.nhsNumber : null)
}

export const step = Pipeline.step({
  entity: "client",
  source: { table: LegacyTables.client.name, key: ["client_no"], columns },
  legacyRow: ClientRow,
  references: [{ entity: "client", legacyKey: (row) => (row.merged_into_client_no === null ? null : String(row.merged_into_client_no)) }],
  matchKey: (row) => {
    const nhs = NhsNumber.parse(row.nhs_no_text)
    return nhs._tag === "Valid" ? nhs.nhsNumber : null
  },
  rules: Object.values(r),
  targets: [TargetTables.person],
  transform
})

// ---- after the step: conflicting merged records, likely duplicates ---------------------------------------------

/** American Soundex of a surname: the sound key that groups spelling variants. */
export const soundex = (name: string): string => {
  const letters = name.toUpperCase().replace(/[^A-Z]/g, "")
  if (letters === "") return ""
  const codes: Record<string, string> = { B: "1", F: "1", P: "1", V: "1", C: "2", G: "2", J: "2", K: "2", Q: "2", S: "2", X: "2", Z: "2", D: "3", T: "3", L: "4", M: "5", N: "5", R: "6" }
  let out = letters[0]!
  let last = codes[letters[0]!] ?? ""
  for (const ch of letters.slice(1)) {
    const code = codes[ch] ?? ""
    if (code !== "" && code !== last) out += code
    if (ch !== "H" && ch !== "W") last = code
    if (out.length === 4) break
  }
  return out.padEnd(4, "0")
}

const inList = (d: Driver.Driver, values: ReadonlyArray<string>, first: number) =>
  values.map((_, i) => d.dialect.placeholder(first + i)).join(", ")

/** Flags merged records whose gender or date of birth differ from the record they merged into. */
const flagConflicts = async (context: Pipeline.AfterStepContext) => {
  const control = ControlSchema.tables(context.controlSchema)
  const t = context.target
  // the merged rows, then the client each merged into: the person row keeps the surviving client's number
  const xrefTable = t.dialect.qualify(control.xref)
  const where = `run_id = ${t.dialect.placeholder(1)} AND entity = ${t.dialect.placeholder(2)}`
  const merged = await t.queryText(`SELECT legacy_key, target_key FROM ${xrefTable} WHERE ${where} AND outcome = 'merged'`, [context.runId, "client"])
  if (merged.length === 0) return
  const survivors = await Driver.selectWhereOneOf(t, {
    select: `SELECT person_id, la_person_unique_identifier FROM ${t.dialect.qualify(Table.inSchema(TargetTables.person, context.targetSchema))}`,
    where: "",
    params: []
  }, "person_id", [...new Set(merged.map((r) => String(r[1])))])
  const survivorOf = new Map(survivors.map((r) => [String(r[0]), String(r[1])] as const))
  const legacyTable = Table.inSchema(LegacyTables.client, context.legacySchema)
  const l = context.legacy
  const demographics = new Map<string, { gender: string | null; dob: string | null }>()
  const legacyRows = await Driver.inParts([...new Set([...merged.map((x) => String(x[0])), ...survivorOf.values()])], (part) =>
    l.queryText(
      `SELECT client_no, gender_code, dob_text FROM ${l.dialect.qualify(legacyTable)} WHERE client_no IN (${inList(l, part, 1)})`,
      part
    ))
  for (const row of legacyRows) demographics.set(String(row[0]), { gender: row[1]?.trim().toUpperCase() ?? null, dob: row[2]?.trim() ?? null })
  const flags: Array<ReadonlyArray<Driver.SqlValue>> = []
  for (const [legacyKey, targetKey] of merged) {
    const survivor = survivorOf.get(String(targetKey))
    const mine = demographics.get(String(legacyKey))
    const theirs = survivor === undefined ? undefined : demographics.get(survivor)
    if (mine === undefined || theirs === undefined) continue
    const differ = [
      ...(mine.gender !== null && theirs.gender !== null && mine.gender !== theirs.gender ? ["gender_code"] : []),
      ...(mine.dob !== null && theirs.dob !== null && mine.dob !== theirs.dob ? ["dob_text"] : [])
    ]
    if (differ.length > 0) {
      flags.push([context.runId, "client", String(legacyKey), 100, r.conflicting.id, differ[0]!, "warning",
        `merged into client ${survivor} but differs in ${differ.join(" and ")}; the first record's values stand`])
    }
  }
  await t.transaction(async (c) => {
    await c.query(`DELETE FROM ${t.dialect.qualify(control.flag)} WHERE run_id = ${t.dialect.placeholder(1)} AND entity = ${t.dialect.placeholder(2)} AND seq = 100`, [context.runId, "client"])
    await c.writeRows(control.flag, flags)
  })
}

/** How many clients one pass of the likely-duplicate search holds in memory at most (about). */
const clientsPerPass = 100_000

/** FNV-1a: a cheap, well-spread hash of a block, to share the blocks out between passes. */
const hashOf = (text: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}

const swapped = (a: string, b: string) => a.slice(0, 4) === b.slice(0, 4) && a.slice(5, 7) === b.slice(8, 10) && a.slice(8, 10) === b.slice(5, 7)

/**
 * Pairs of clients in one block (the sound of the surname and the postcode) with the same date of birth, or day and
 * month swapped, and not both with a valid NHS number. The rows (client number, surname, date of birth, NHS number,
 * postcode; a client once for each of its addresses) are read once a pass; each pass keeps the blocks whose hash
 * falls to it, so the pairs are the same however many passes there are.
 */
export const likelyDuplicatePairs = async (
  read: () => AsyncIterable<ReadonlyArray<Driver.TextRow>>,
  passes: number,
  today: string
): Promise<Array<{ readonly a: string; readonly b: string; readonly sameDob: boolean }>> => {
  const pairs: Array<{ readonly a: string; readonly b: string; readonly sameDob: boolean }> = []
  for (let pass = 0; pass < passes; pass++) {
    const blocks = new Map<string, Array<{ key: string; dob: string; hasNhs: boolean }>>()
    const seen = new Set<string>()
    for await (const batch of read()) {
      for (const [clientNo, surname, dobText, nhsText, postcode] of batch) {
        if (surname == null || postcode == null) continue
        const block = `${soundex(surname)}|${postcode.toUpperCase().replace(/\s+/g, "")}`
        if (passes > 1 && hashOf(block) % passes !== pass) continue
        const key = String(clientNo)
        const id = `${key}|${block}`
        if (seen.has(id)) continue
        const dob = LegacyDate.parse(dobText ?? null, { today })
        if (dob._tag !== "Date") continue
        seen.add(id)
        const list = blocks.get(block) ?? []
        list.push({ key, dob: dob.date, hasNhs: NhsNumber.parse(nhsText ?? null)._tag === "Valid" })
        blocks.set(block, list)
      }
    }
    for (const list of blocks.values()) {
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length; j++) {
          const a = list[i]!, b = list[j]!
          // two valid NHS numbers tell two people apart; without one on either side only a person can decide
          if (a.key === b.key || (a.hasNhs && b.hasNhs) || !(a.dob === b.dob || swapped(a.dob, b.dob))) continue
          // the earlier client first, whatever order the rows came in, so that every rehearsal queues the same pair
          const [first, second] = byClientNumber(a.key, b.key) <= 0 ? [a.key, b.key] : [b.key, a.key]
          pairs.push({ a: first, b: second, sameDob: a.dob === b.dob })
        }
      }
    }
  }
  return pairs.sort((x, y) => byClientNumber(x.a, y.a) || byClientNumber(x.b, y.b))
}

/** Client numbers in numeric order (as text, in code-point order if either is not a number). */
const byClientNumber = (x: string, y: string): number => {
  const [m, n] = [Number(x), Number(y)]
  return Number.isFinite(m) && Number.isFinite(n) && m !== n ? m - n : x < y ? -1 : x > y ? 1 : 0
}

/** The pairs of likely duplicates among the clients of a legacy database, every client with each of its addresses. */
export const findLikelyDuplicates = async (l: Driver.Driver, legacySchema: string | undefined, today: string) => {
  const clients = Table.inSchema(LegacyTables.client, legacySchema)
  const addresses = Table.inSchema(LegacyTables.address, legacySchema)
  const [count] = await l.queryText(`SELECT COUNT(*) FROM ${l.dialect.qualify(clients)}`)
  // Blocks are built in passes, each keeping the blocks whose hash falls to it, so that memory holds a share of the
  // clients at a time however many there are; every pass streams the same rows.
  const passes = Math.max(1, Math.ceil(Number(count?.[0] ?? 0) / clientsPerPass))
  const joined = `SELECT c.client_no, c.surname, c.dob_text, c.nhs_no_text, a.postcode_text FROM ${l.dialect.qualify(clients)} c ` +
    `LEFT JOIN ${l.dialect.qualify(addresses)} a ON a.client_no = c.client_no`
  return likelyDuplicatePairs(() => Driver.queryBatches(l, joined, 10_000), passes, today)
}

/**
 * Puts pairs of likely duplicates without an NHS number on the review queue, and flags both rows; but not a pair a
 * data owner decided is two different people.
 */
const queueLikelyDuplicates = async (context: Pipeline.AfterStepContext) => {
  const control = ControlSchema.tables(context.controlSchema)
  const t = context.target
  const today = context.parameters.cutoverDate ?? "2026-03-31"
  const pairs = await findLikelyDuplicates(context.legacy, context.legacySchema, today)
  // only clients this run loaded (not merged, quarantined or excluded) go on the queue
  const loaded = new Set((await Driver.selectWhereOneOf(t, {
    select: `SELECT legacy_key FROM ${t.dialect.qualify(control.xref)}`,
    where: `run_id = ${t.dialect.placeholder(1)} AND entity = ${t.dialect.placeholder(2)} AND outcome = 'loaded'`,
    params: [context.runId, "client"]
  }, "legacy_key", [...new Set(pairs.flatMap((p) => [p.a, p.b]))])).map((x) => String(x[0])))
  // pairs a data owner decided are different people are never put on the queue again: their items' fingerprints
  const different = new Set((await t.queryText(
    `SELECT fingerprint FROM ${t.dialect.qualify(control.triage)} WHERE decision = ${t.dialect.placeholder(1)}`,
    ["different_people"]
  )).map((row) => String(row[0])))
  const decidedDifferent = (a: string, b: string) =>
    different.size > 0 && different.has(Finding.fingerprint({
      entity: "client",
      check: WorklistItems.checks.possibleDuplicate,
      legacyKey: b,
      targetKey: null,
      field: null,
      kind: "possible-duplicate",
      rule: r.likelyDuplicate.id,
      legacyValue: a
    }))
  const review: Array<ReadonlyArray<Driver.SqlValue>> = []
  const flags: Array<ReadonlyArray<Driver.SqlValue>> = []
  const flagged = new Set<string>()
  for (const { a, b, sameDob } of pairs) {
    if (!loaded.has(a) || !loaded.has(b) || decidedDifferent(a, b)) continue
    review.push([context.runId, "client", b, a, r.likelyDuplicate.id, sameDob ? "same surname sound, postcode and date of birth" : "same surname sound and postcode, day and month of birth swapped"])
    for (const k of [a, b]) {
      if (flagged.has(k)) continue
      flagged.add(k)
      flags.push([context.runId, "client", k, 101, r.likelyDuplicate.id, "surname", "warning", "a likely duplicate without an NHS number: on the review queue"])
    }
  }
  await t.transaction(async (c) => {
    await c.query(`DELETE FROM ${t.dialect.qualify(control.reviewItem)} WHERE run_id = ${t.dialect.placeholder(1)} AND entity = ${t.dialect.placeholder(2)}`, [context.runId, "client"])
    await c.query(`DELETE FROM ${t.dialect.qualify(control.flag)} WHERE run_id = ${t.dialect.placeholder(1)} AND entity = ${t.dialect.placeholder(2)} AND seq = 101`, [context.runId, "client"])
    await c.writeRows(control.reviewItem, review)
    await c.writeRows(control.flag, flags)
  })
}

export const afterStep = async (context: Pipeline.AfterStepContext) => {
  await flagConflicts(context)
  await queueLikelyDuplicates(context)
}
