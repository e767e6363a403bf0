/**
 * Care packages into care plans, package lines into CLD service events and finance line items: weekly cost
 * recomputed from rate, units and rate basis; gross or net payment and who collects the contribution kept; services
 * still open after the client's death ended at the date of death.
 */
import { LegacyText, Money, Pipeline } from "@handover/core"
import * as Schema from "effect/Schema"
import * as Clean from "../Clean.ts"
import * as Codes from "../Codes.ts"
import * as LegacyTables from "../LegacyTables.ts"
import * as UnitsPerWeek from "../reference/UnitsPerWeek.ts"
import * as Rules from "../Rules.ts"
import * as TargetKey from "../TargetKey.ts"
import * as TargetTables from "../TargetTables.ts"

const text = Schema.NullOr(Schema.String)

export const CarePackageRow = Schema.Struct({
  package_id: LegacyText.IntFromText,
  client_no: LegacyText.IntFromText,
  key_team_code: LegacyText.OptionalText,
  cost_centre: LegacyText.OptionalText,
  package_status: LegacyText.OptionalText,
  start_date_text: text,
  end_date_text: text,
  authorised_by: LegacyText.OptionalText
})
type CarePackageRow = typeof CarePackageRow.Type

const rp = Rules.carePlan

export const carePlanStep = Pipeline.step({
  entity: "care package",
  source: { table: LegacyTables.carePackage.name, key: ["package_id"], columns: Object.keys(CarePackageRow.fields) },
  legacyRow: CarePackageRow,
  references: [{ entity: "client", legacyKey: (row: CarePackageRow) => String(row.client_no) }],
  rules: Object.values(rp),
  targets: [TargetTables.carePlan],
  transform: (row, context) => {
    const status = (row.package_status ?? "").toUpperCase()
    if (status === "CANCELLED") return Pipeline.exclude(rp.cancelled, "a cancelled package")
    const person = context.targetKeyOf("client", String(row.client_no))
    if (person === undefined) return Pipeline.quarantine(rp.client, "client_no", "the package's client was not migrated")
    const dates = Clean.all(
      Clean.date(row.start_date_text, "start_date_text", rp.dates, context),
      Clean.date(row.end_date_text, "end_date_text", rp.dates, context, { future: true })
    )
    if (dates._tag === "Bad") return Pipeline.quarantine(rp.dates, dates.index === 0 ? "start_date_text" : "end_date_text", dates.reason)
    const [start, end] = dates.values
    if (start !== null && end !== null && end < start) return Pipeline.quarantine(rp.dates, "end_date_text", "the package ends before it starts")
    const flags = [...dates.flags]
    if (status === "AUTH" && row.authorised_by === null) {
      flags.push(Pipeline.flag(rp.authorisation, "authorised_by", "error", "an authorised package with nobody recorded as authorising it"))
    }
    const open = end === null || end >= Clean.today(context)
    if (open && (row.key_team_code === null || row.cost_centre === null)) {
      flags.push(Pipeline.flag(rp.keyTeam, row.key_team_code === null ? "key_team_code" : "cost_centre", "warning", "an open package without a key team or cost centre"))
    }
    const id = TargetKey.of("care plan", row.package_id)
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.carePlan, {
          care_plan_id: id,
          person_id: person,
          legacy_package_id: row.package_id,
          start_date: start,
          end_date: end,
          status: status === "ENDED" || (end !== null && end < Clean.today(context)) ? "ended" : status === "DRAFT" ? "draft" : "active",
          key_team: row.key_team_code,
          cost_centre: row.cost_centre,
          authorised_by: row.authorised_by
        })
      ),
      flags
    )
  }
})

export const PackageLineRow = Schema.Struct({
  line_id: LegacyText.IntFromText,
  package_id: LegacyText.IntFromText,
  service_code: text,
  element_type: LegacyText.OptionalText,
  provider_id: LegacyText.OptionalIntFromText,
  start_date_text: text,
  end_date_text: text,
  units_per_week: text,
  unit_rate: text,
  rate_basis: text,
  weekly_cost_stored: text,
  payment_basis: LegacyText.OptionalText,
  contribution_collector: LegacyText.OptionalText,
  is_direct_payment: text,
  suspended_flag: text
})
type PackageLineRow = typeof PackageLineRow.Type

/** Legacy element types and the kind of finance line they are. */
export const elementKind = (elementType: string | null): string => {
  const t = (elementType ?? "").toLowerCase()
  if (t.includes("fncc") || t.includes("fnc ")) return "fnc"
  if (t.includes("top up") || t.includes("top-up")) return "top_up"
  if (t.includes("additional needs")) return "additional_need"
  if (t.includes("one off") || t.includes("one-off")) return "one_off"
  return "core"
}

const rs = Rules.service

export const serviceStep = Pipeline.step({
  entity: "package line",
  source: { table: LegacyTables.packageLine.name, key: ["line_id"], columns: Object.keys(PackageLineRow.fields) },
  legacyRow: PackageLineRow,
  references: [
    { entity: "care package", legacyKey: (row: PackageLineRow) => String(row.package_id), columns: ["person_id", "status"] },
    {
      entity: "client",
      targetKey: (row: PackageLineRow, resolved) => resolved.targetRowOf("care package", String(row.package_id))?.person_id ?? null,
      columns: ["date_of_death"]
    },
    {
      entity: "provider",
      legacyKey: (row: PackageLineRow) => (row.provider_id === null ? null : String(row.provider_id)),
      columns: ["cqc_location_id"]
    }
  ],
  rules: Object.values(rs),
  targets: [TargetTables.service, TargetTables.carePackageLineItem],
  transform: (row, context) => {
    const plan = context.targetRowOf("care package", String(row.package_id))
    const carePlanId = context.targetKeyOf("care package", String(row.package_id))
    if (plan === undefined || carePlanId === undefined) {
      return context.wasExcluded("care package", String(row.package_id))
        ? Pipeline.exclude(rs.cancelled, "a line of a cancelled package")
        : Pipeline.quarantine(rs.carePlan, "package_id", "the line's package was not migrated")
    }
    const person = plan.person_id!
    let providerId: string | null = null
    let cqc: string | null = null
    if (row.provider_id !== null) {
      const found = context.targetKeyOf("provider", String(row.provider_id))
      if (found === undefined) return Pipeline.quarantine(rs.provider, "provider_id", "the line names a provider that was not migrated")
      providerId = found
      cqc = context.targetRowOf("provider", String(row.provider_id))?.cqc_location_id ?? null
    }
    const serviceType = Codes.map(context, "service_type", row.service_code, "service_code", rs.classification)
    const component = Codes.map(context, "service_component", row.service_code, "service_code", rs.classification)
    const mechanism = Codes.map(context, "delivery_mechanism", row.service_code, "service_code", rs.classification)
    // a service the CLD does not count (transport, meals, equipment) is deliberately unmapped: it is migrated for
    // finance, with no CLD classification, and the CLD projection leaves it out; an unknown code is quarantined
    const notCld = serviceType.deliberate !== undefined
    const unmapped = [serviceType, component, mechanism].flatMap((m) => (m.unmapped === undefined || m.deliberate !== undefined ? [] : [m.unmapped]))
    if (unmapped.length > 0 || (serviceType.code === null && !notCld)) {
      return Pipeline.quarantine(rs.classification, "service_code", `the service code ${JSON.stringify(row.service_code)} has no CLD classification`, unmapped)
    }
    const dates = Clean.all(
      Clean.requiredDate(row.start_date_text, "start_date_text", rs.dates, context),
      Clean.date(row.end_date_text, "end_date_text", rs.dates, context, { future: true })
    )
    if (dates._tag === "Bad") return Pipeline.quarantine(rs.dates, dates.index === 0 ? "start_date_text" : "end_date_text", dates.reason)
    const [start] = dates.values
    let end = dates.values[1]
    if (end !== null && end < start) return Pipeline.quarantine(rs.dates, "end_date_text", "the line ends before it starts")
    const flags: Array<Pipeline.Flag> = [...dates.flags]

    let endReason: string | null = null
    const dod = context.targetRowByKey("client", person)?.date_of_death ?? null
    if (dod !== null && (end === null || end > dod)) {
      flags.push(Pipeline.flag(rs.deceased, "end_date_text", "warning", "a service open after the client's death: ended at the date of death"))
      end = dod < start ? start : dod
      endReason = "deceased"
    }

    const amounts = Clean.all(
      Clean.amount(row.unit_rate, "unit_rate"),
      Clean.amount(row.weekly_cost_stored, "weekly_cost_stored")
    )
    if (amounts._tag === "Bad") return Pipeline.quarantine(rs.weeklyCost, amounts.index === 0 ? "unit_rate" : "weekly_cost_stored", amounts.reason)
    let [rate] = amounts.values
    const stored = amounts.values[1]
    let units = row.units_per_week === null || row.units_per_week.trim() === "" ? null : row.units_per_week.trim()
    if (rate !== null && rate < 0) {
      flags.push(Pipeline.flag(rs.negative, "unit_rate", "warning", "a negative rate: made positive"))
      rate = -rate
    }
    if (units !== null && units.startsWith("-")) {
      flags.push(Pipeline.flag(rs.negative, "units_per_week", "warning", "negative units per week: made positive"))
      units = units.slice(1)
    }
    const basis = (row.rate_basis ?? "").trim()
    const frequency = Codes.map(context, "cost_frequency_unit_type", basis, "rate_basis", rs.rateBasis)
    if (frequency.code === null) {
      return Pipeline.quarantine(rs.rateBasis, "rate_basis", `the rate basis ${JSON.stringify(basis)} has no cost frequency`, frequency.unmapped === undefined ? [] : [frequency.unmapped])
    }
    const weekly = rate === null ? undefined : UnitsPerWeek.weeklyCostPence(rate, basis, units)
    let weeklyPence = 0
    if (weekly?._tag === "Weekly") weeklyPence = weekly.pence
    else if (weekly?._tag === "OneOff") weeklyPence = 0
    else if (weekly?._tag === "NoUnits") flags.push(Pipeline.flag(rs.weeklyCost, "units_per_week", "warning", `${weekly.reason}: weekly cost taken as zero`))
    else if (rate === null) flags.push(Pipeline.flag(rs.weeklyCost, "unit_rate", "warning", "no rate: weekly cost taken as zero"))
    if (stored !== null && weekly?._tag === "Weekly" && Math.abs(stored - weeklyPence) > 1) {
      flags.push(Pipeline.flag(rs.weeklyCost, "weekly_cost_stored", "error",
        `the stored weekly cost ${Money.toPounds(stored)} differs from rate times units ${Money.toPounds(weeklyPence)} by ${Money.toPounds(stored - weeklyPence)}`))
    }
    const today = Clean.today(context)
    const suspended = Clean.yes(row.suspended_flag)
    const active = end === null || end >= today
    if (active && weekly?._tag === "Weekly" && weeklyPence === 0) {
      flags.push(Pipeline.flag(rs.negative, "unit_rate", "warning", "an active line that costs nothing"))
    }
    const kind = elementKind(row.element_type)
    const serviceId = TargetKey.of("service", row.line_id)
    const cpliId = TargetKey.of("cpli", row.line_id)
    return Pipeline.withFlags(
      Pipeline.load(
        serviceId,
        Pipeline.row(TargetTables.service, {
          service_id: serviceId,
          person_id: person,
          care_plan_id: carePlanId,
          event_reference: `SVC-${row.line_id}`,
          service_type: serviceType.code,
          service_component: component.code,
          delivery_mechanism: mechanism.code,
          provider_id: providerId,
          provider_cqc_location_id: cqc,
          event_start_date: start,
          event_end_date: end,
          end_reason: endReason,
          // the CLD asks an outcome of every service event: ended by death, ended, or still going on
          event_outcome: notCld
            ? null
            : endReason === "deceased"
            ? "NFA: Deceased"
            : end !== null && end < today
            ? "NFA: Support ended as planned"
            : "Continuation of support or services",
          // CLD unit cost is the gross rate of core lines; top-ups and FNC stay out of it
          unit_cost: kind === "fnc" || kind === "top_up" ? null : Clean.pounds(rate),
          cost_frequency_unit_type: frequency.code,
          planned_units_per_week: units,
          suspended
        }),
        Pipeline.row(TargetTables.carePackageLineItem, {
          cpli_id: cpliId,
          service_id: serviceId,
          person_id: person,
          provider_id: providerId,
          element_kind: kind,
          element_type: row.element_type,
          start_date: start,
          end_date: end,
          unit_type: basis === "" ? null : basis,
          planned_units_per_week: units,
          unit_rate: Clean.pounds(rate),
          weekly_cost_gross: Money.toPounds(weeklyPence),
          weekly_cost_stored: Clean.pounds(stored),
          payment_basis: row.payment_basis === null ? null : row.payment_basis.toUpperCase(),
          contribution_collector: row.contribution_collector === null ? null : row.contribution_collector.toUpperCase(),
          status: suspended ? "suspended" : active ? "active" : "ended"
        })
      ),
      flags
    )
  }
})
