/**
 * Addresses and relationships of clients: postcodes normalised and checked, UPRNs kept when well formed, related
 * clients linked to their person records, carer links checked against who receives services.
 */
import { LegacyText, Pipeline, Postcode, Uprn } from "@handover/core"
import { ControlSchema, type Driver, Table } from "@handover/sql"
import * as Schema from "effect/Schema"
import * as Clean from "../Clean.ts"
import * as LegacyTables from "../LegacyTables.ts"
import * as Rules from "../Rules.ts"
import * as TargetKey from "../TargetKey.ts"
import * as TargetTables from "../TargetTables.ts"

const text = Schema.NullOr(Schema.String)

export const AddressRow = Schema.Struct({
  address_id: LegacyText.IntFromText,
  client_no: LegacyText.IntFromText,
  address_type: LegacyText.OptionalText,
  line1: LegacyText.OptionalText,
  line2: LegacyText.OptionalText,
  line3: LegacyText.OptionalText,
  line4: LegacyText.OptionalText,
  line5: LegacyText.OptionalText,
  postcode_text: text,
  uprn_text: text,
  start_date_text: text,
  end_date_text: text,
  is_display: text
})
type AddressRow = typeof AddressRow.Type

const ra = Rules.address

export const addressStep = Pipeline.step({
  entity: "address",
  source: { table: LegacyTables.address.name, key: ["address_id"], columns: Object.keys(AddressRow.fields) },
  legacyRow: AddressRow,
  references: [{ entity: "client", legacyKey: (row: AddressRow) => String(row.client_no) }],
  rules: Object.values(ra),
  targets: [TargetTables.address],
  transform: (row, context) => {
    const person = context.targetKeyOf("client", String(row.client_no))
    if (person === undefined) return Pipeline.quarantine(ra.client, "client_no", "the address's client was not migrated")
    const dates = Clean.all(
      Clean.date(row.start_date_text, "start_date_text", ra.dates, context),
      Clean.date(row.end_date_text, "end_date_text", ra.dates, context, { future: true })
    )
    if (dates._tag === "Bad") return Pipeline.quarantine(ra.dates, dates.index === 0 ? "start_date_text" : "end_date_text", dates.reason)
    const [from, to] = dates.values
    if (from !== null && to !== null && to < from) return Pipeline.quarantine(ra.dates, "end_date_text", "the address ends before it starts")
    const flags: Array<Pipeline.Flag> = [...dates.flags]
    const postcode = Postcode.normalise(row.postcode_text)
    switch (postcode._tag) {
      case "Invalid":
        flags.push(Pipeline.flag(ra.postcode, "postcode_text", "warning", `${postcode.reason}: left empty`))
        break
      case "Pseudo":
        flags.push(Pipeline.flag(ra.postcode, "postcode_text", "info", "a pseudo-postcode (ZZ99): kept"))
        break
      case "Missing":
        flags.push(Pipeline.flag(ra.postcode, "postcode_text", "warning", "no postcode"))
        break
      case "Valid":
        if (row.postcode_text !== postcode.postcode) {
          flags.push(Pipeline.flag(ra.postcode, "postcode_text", "info", "the postcode's case or spacing was corrected"))
        }
        break
    }
    const uprn = Uprn.parse(row.uprn_text)
    if (uprn._tag === "Invalid") flags.push(Pipeline.flag(ra.uprn, "uprn_text", "warning", `${uprn.reason}: left empty`))
    const id = TargetKey.of("address", row.address_id)
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.address, {
          address_id: id,
          person_id: person,
          address_use: row.address_type,
          line1: row.line1,
          line2: row.line2,
          line3: row.line3,
          line4: row.line4,
          town: row.line5,
          postcode: postcode._tag === "Valid" || postcode._tag === "Pseudo" ? postcode.postcode : null,
          postcode_status: postcode._tag === "Valid" ? "valid" : postcode._tag === "Pseudo" ? "pseudo" : postcode._tag === "Missing" ? "missing" : "invalid",
          uprn: uprn._tag === "Valid" ? uprn.uprn : null,
          valid_from: from,
          valid_to: to,
          is_primary: Clean.yes(row.is_display) && to === null
        })
      ),
      flags
    )
  }
})

export const RelationshipRow = Schema.Struct({
  rel_id: LegacyText.IntFromText,
  client_no: LegacyText.IntFromText,
  related_client_no: LegacyText.OptionalIntFromText,
  related_name_text: LegacyText.OptionalText,
  rel_type_code: LegacyText.OptionalText,
  is_main_carer: text,
  is_next_of_kin: text,
  is_financial_agent: text,
  start_date_text: text,
  end_date_text: text
})
type RelationshipRow = typeof RelationshipRow.Type

const rr = Rules.relationship

export const relationshipStep = Pipeline.step({
  entity: "relationship",
  source: { table: LegacyTables.relationship.name, key: ["rel_id"], columns: Object.keys(RelationshipRow.fields) },
  legacyRow: RelationshipRow,
  references: [
    { entity: "client", legacyKey: (row: RelationshipRow) => String(row.client_no) },
    { entity: "client", legacyKey: (row: RelationshipRow) => (row.related_client_no === null ? null : String(row.related_client_no)) }
  ],
  rules: Object.values(rr),
  targets: [TargetTables.relationship],
  transform: (row, context) => {
    const person = context.targetKeyOf("client", String(row.client_no))
    if (person === undefined) return Pipeline.quarantine(rr.client, "client_no", "the relationship's client was not migrated")
    const dates = Clean.all(
      Clean.date(row.start_date_text, "start_date_text", rr.dates, context),
      Clean.date(row.end_date_text, "end_date_text", rr.dates, context, { future: true })
    )
    if (dates._tag === "Bad") return Pipeline.quarantine(rr.dates, dates.index === 0 ? "start_date_text" : "end_date_text", dates.reason)
    const flags: Array<Pipeline.Flag> = [...dates.flags]
    const related = row.related_client_no === null ? null : context.targetKeyOf("client", String(row.related_client_no))
    if (row.related_client_no !== null && related === undefined) {
      flags.push(Pipeline.flag(rr.related, "related_client_no", "warning", "the related client was not migrated: kept by name only"))
    }
    const id = TargetKey.of("relationship", row.rel_id)
    const carer = Clean.yes(row.is_main_carer) || (row.rel_type_code ?? "").toUpperCase().includes("CARER")
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.relationship, {
          rel_id: id,
          person_id: person,
          related_person_id: related ?? null,
          related_name: row.related_name_text,
          relationship: row.rel_type_code,
          is_unpaid_carer: carer,
          is_main_carer: Clean.yes(row.is_main_carer),
          is_next_of_kin: Clean.yes(row.is_next_of_kin),
          is_financial_representative: Clean.yes(row.is_financial_agent),
          valid_from: dates.values[0],
          valid_to: dates.values[1]
        })
      ),
      flags
    )
  }
})

/**
 * After services are migrated: a carer link must point at someone who receives services (a CLD service user);
 * links that do not are flagged on the relationship.
 */
export const flagCarerLinks = async (context: Pipeline.AfterStepContext) => {
  const control = ControlSchema.tables(context.controlSchema)
  const t = context.target
  const q = (table: Table.Table) => t.dialect.qualify(Table.inSchema(table, context.targetSchema))
  const rows = await t.queryText(
    `SELECT x.legacy_key FROM ${t.dialect.qualify(control.xref)} x JOIN ${q(TargetTables.relationship)} r ON r.rel_id = x.target_key ` +
      `WHERE x.run_id = ${t.dialect.placeholder(1)} AND x.entity = ${t.dialect.placeholder(2)} AND r.is_unpaid_carer = ${t.dialect.name === "mssql" ? "1" : "TRUE"} ` +
      `AND r.related_person_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${q(TargetTables.service)} s WHERE s.person_id = r.related_person_id)`,
    [context.runId, "relationship"]
  )
  const flags: Array<ReadonlyArray<Driver.SqlValue>> = rows.map(([legacyKey]) => [
    context.runId,
    "relationship",
    String(legacyKey),
    100,
    rr.carerLink.id,
    "related_client_no",
    "warning",
    "a carer link to a person who receives no services"
  ])
  await t.transaction(async (c) => {
    await c.query(`DELETE FROM ${t.dialect.qualify(control.flag)} WHERE run_id = ${t.dialect.placeholder(1)} AND entity = ${t.dialect.placeholder(2)} AND seq = 100`, [context.runId, "relationship"])
    await c.writeRows(control.flag, flags)
  })
}
