/**
 * The example migration: clients into people, care packages into care packages. Small, but it uses every kind of
 * outcome the engine knows: loaded, merged, quarantined (by the Schema or by a rule) and excluded.
 */
import { LegacyText, Money, NhsNumber, Pipeline } from "@handover/core"
import * as Schema from "effect/Schema"
import * as LegacyTables from "./LegacyTables.ts"
import * as TargetTables from "./TargetTables.ts"

export const rules = {
  nhsNumber: {
    id: "EX-CLIENT-01",
    description: "NHS number: spaces and hyphens removed; blank or N/K means not known; otherwise ten digits that pass the Modulus 11 check, or the client is quarantined"
  },
  gender: {
    id: "EX-CLIENT-02",
    description: "Gender codes M, F, U and I become Male, Female, Unknown and Indeterminate; any other code is quarantined"
  },
  testClient: { id: "EX-CLIENT-03", description: "Test clients (category TEST) are not migrated" },
  mergedClient: {
    id: "EX-CLIENT-04",
    description: "A client recorded as merged into another client joins that client's person record; if that client was not migrated, it is quarantined"
  },
  packageClient: {
    id: "EX-PACKAGE-01",
    description: "A care package follows its client: a package whose client was not migrated is quarantined"
  },
  weeklyCost: {
    id: "EX-PACKAGE-02",
    description: "The weekly cost is an amount in pounds with at most two decimal places, not negative; anything else is quarantined"
  },
  dates: { id: "EX-PACKAGE-03", description: "A care package starts on a date and does not end before it starts" },
  cancelled: { id: "EX-PACKAGE-04", description: "Cancelled care packages are not migrated" },
  provider: { id: "EX-PACKAGE-05", description: "A care package names its provider" }
} as const

const genders: Readonly<Record<string, string>> = { M: "Male", F: "Female", U: "Unknown", I: "Indeterminate" }

export const ClientRow = Schema.Struct({
  client_no: LegacyText.IntFromText,
  forename: LegacyText.OptionalText,
  surname: LegacyText.OptionalText,
  dob_text: LegacyText.DateFromText,
  nhs_no_text: Schema.NullOr(Schema.String),
  gender_code: Schema.NullOr(Schema.String),
  client_category: LegacyText.OptionalText,
  merged_into_client_no: LegacyText.OptionalIntFromText
})

export const CarePackageRow = Schema.Struct({
  package_id: LegacyText.IntFromText,
  client_no: LegacyText.IntFromText,
  provider_name: LegacyText.OptionalText,
  weekly_cost_text: Schema.NullOr(Schema.String),
  start_date_text: LegacyText.OptionalDateFromText,
  end_date_text: LegacyText.OptionalDateFromText,
  status: LegacyText.OptionalText
})

const personId = (clientNo: number) => `P${clientNo}`

const clientStep = Pipeline.step({
  entity: "client",
  source: { table: LegacyTables.client.name, key: ["client_no"], columns: LegacyTables.client.columns.map((c) => c.name) },
  legacyRow: ClientRow,
  references: [{ entity: "client", legacyKey: (row) => (row.merged_into_client_no === null ? null : String(row.merged_into_client_no)) }],
  rules: Object.values(rules).filter((r) => r.id.startsWith("EX-CLIENT")),
  targets: [TargetTables.person],
  transform: (row, context) => {
    if (row.client_category?.toUpperCase() === "TEST") return Pipeline.exclude(rules.testClient, "test client")
    if (row.merged_into_client_no !== null) {
      const survivor = context.targetKeyOf("client", String(row.merged_into_client_no))
      return survivor === undefined
        ? Pipeline.quarantine(rules.mergedClient, "merged_into_client_no", "merged into a client that was not migrated")
        : Pipeline.merge(survivor, rules.mergedClient)
    }
    const nhs = NhsNumber.parse(row.nhs_no_text)
    if (nhs._tag === "Invalid") return Pipeline.quarantine(rules.nhsNumber, "nhs_no_text", nhs.reason)
    const gender = genders[(row.gender_code ?? "").trim().toUpperCase()]
    if (gender === undefined) {
      return Pipeline.quarantine(rules.gender, "gender_code", `gender code ${JSON.stringify(row.gender_code)} has no mapping`)
    }
    const id = personId(row.client_no)
    return Pipeline.load(
      id,
      Pipeline.row(TargetTables.person, {
        person_id: id,
        nhs_number: nhs._tag === "Valid" ? nhs.nhsNumber : null,
        given_name: row.forename,
        family_name: row.surname,
        date_of_birth: row.dob_text,
        gender
      })
    )
  }
})

const carePackageStep = Pipeline.step({
  entity: "care package",
  source: {
    table: LegacyTables.carePackage.name,
    key: ["package_id"],
    columns: LegacyTables.carePackage.columns.map((c) => c.name)
  },
  legacyRow: CarePackageRow,
  references: [{ entity: "client", legacyKey: (row) => String(row.client_no) }],
  rules: Object.values(rules).filter((r) => r.id.startsWith("EX-PACKAGE")),
  targets: [TargetTables.carePackage],
  transform: (row, context) => {
    if (row.status?.toUpperCase() === "CANCELLED") return Pipeline.exclude(rules.cancelled, "cancelled package")
    const person = context.targetKeyOf("client", String(row.client_no))
    if (person === undefined) return Pipeline.quarantine(rules.packageClient, "client_no", "the package's client was not migrated")
    if (row.provider_name === null) return Pipeline.quarantine(rules.provider, "provider_name", "no provider named")
    const pence = row.weekly_cost_text === null ? Money.parsePounds("") : Money.parsePounds(row.weekly_cost_text)
    if (Money.isError(pence)) return Pipeline.quarantine(rules.weeklyCost, "weekly_cost_text", pence.reason)
    if (pence < 0) return Pipeline.quarantine(rules.weeklyCost, "weekly_cost_text", "a weekly cost cannot be negative")
    if (row.start_date_text === null) return Pipeline.quarantine(rules.dates, "start_date_text", "no start date")
    if (row.end_date_text !== null && row.end_date_text < row.start_date_text) {
      return Pipeline.quarantine(rules.dates, "end_date_text", "the package ends before it starts")
    }
    const id = `CP${row.package_id}`
    return Pipeline.load(
      id,
      Pipeline.row(TargetTables.carePackage, {
        package_id: id,
        person_id: person,
        provider_name: row.provider_name,
        weekly_cost: Money.toPounds(pence),
        start_date: row.start_date_text,
        end_date: row.end_date_text
      })
    )
  }
})

export const pipeline = Pipeline.make({
  name: "example",
  version: "1",
  targetTables: TargetTables.all,
  steps: [clientStep, carePackageStep]
})
