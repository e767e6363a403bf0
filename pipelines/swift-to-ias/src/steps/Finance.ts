/**
 * Money: financial assessments, client contributions, provider invoices and their lines, client invoices and
 * receipts, transport charged per journey. Amounts are read strictly into pence; an ambiguous amount is quarantined,
 * never guessed.
 */
import { LegacyText, Pipeline } from "@handover/core"
import * as Schema from "effect/Schema"
import * as Clean from "../Clean.ts"
import * as LegacyTables from "../LegacyTables.ts"
import * as Rules from "../Rules.ts"
import * as TargetKey from "../TargetKey.ts"
import * as TargetTables from "../TargetTables.ts"

const text = Schema.NullOr(Schema.String)
const rf = Rules.finance

const clientRef = <R extends { readonly client_no: number }>() => ({ entity: "client", legacyKey: (row: R) => String(row.client_no) })

const quarantineBad = (
  cleaned: { readonly _tag: "Bad"; readonly reason: string; readonly index: number },
  fields: ReadonlyArray<string>,
  rule: Pipeline.MappingRule
) => Pipeline.quarantine(rule, fields[cleaned.index] ?? "(row)", cleaned.reason)

export const FinancialAssessmentRow = Schema.Struct({
  fa_id: LegacyText.IntFromText,
  client_no: LegacyText.IntFromText,
  fa_type: LegacyText.OptionalText,
  assessed_date_text: text,
  effective_from_text: text,
  effective_to_text: text,
  capital_total: text,
  weekly_income: text,
  tariff_income: text,
  assessed_weekly_charge: text,
  full_cost_flag: text,
  property_disregard_end_text: text,
  deferred_payment_flag: text,
  status: LegacyText.OptionalText
})
type FinancialAssessmentRow = typeof FinancialAssessmentRow.Type

export const financialAssessmentStep = Pipeline.step({
  entity: "financial assessment",
  source: { table: LegacyTables.financialAssessment.name, key: ["fa_id"], columns: Object.keys(FinancialAssessmentRow.fields) },
  legacyRow: FinancialAssessmentRow,
  references: [clientRef<FinancialAssessmentRow>()],
  rules: [rf.faClient, rf.faDates],
  targets: [TargetTables.financialAssessment],
  transform: (row, context) => {
    const person = context.targetKeyOf("client", String(row.client_no))
    if (person === undefined) return Pipeline.quarantine(rf.faClient, "client_no", "the assessment's client was not migrated")
    const fields = ["assessed_date_text", "effective_from_text", "effective_to_text", "property_disregard_end_text", "capital_total", "weekly_income", "tariff_income", "assessed_weekly_charge"]
    const c = Clean.all(
      Clean.date(row.assessed_date_text, fields[0]!, rf.faDates, context),
      Clean.date(row.effective_from_text, fields[1]!, rf.faDates, context),
      Clean.date(row.effective_to_text, fields[2]!, rf.faDates, context, { future: true }),
      Clean.date(row.property_disregard_end_text, fields[3]!, rf.faDates, context, { future: true }),
      Clean.amount(row.capital_total, fields[4]!),
      Clean.amount(row.weekly_income, fields[5]!),
      Clean.amount(row.tariff_income, fields[6]!),
      Clean.amount(row.assessed_weekly_charge, fields[7]!)
    )
    if (c._tag === "Bad") return quarantineBad(c, fields, rf.faDates)
    const [assessed, from, to, disregard, capital, income, tariff, charge] = c.values
    const id = TargetKey.of("financial assessment", row.fa_id)
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.financialAssessment, {
          fa_id: id,
          person_id: person,
          fa_type: row.fa_type,
          assessed_date: assessed,
          effective_from: from,
          effective_to: to,
          capital_total: Clean.pounds(capital),
          weekly_income: Clean.pounds(income),
          tariff_income: Clean.pounds(tariff),
          assessed_weekly_charge: Clean.pounds(charge),
          full_cost: Clean.yes(row.full_cost_flag),
          property_disregard_end: disregard,
          deferred_payment: Clean.yes(row.deferred_payment_flag),
          status: row.status
        })
      ),
      c.flags
    )
  }
})

export const ContributionRow = Schema.Struct({
  contrib_id: LegacyText.IntFromText,
  client_no: LegacyText.IntFromText,
  package_id: LegacyText.OptionalIntFromText,
  fa_id: LegacyText.OptionalIntFromText,
  payer_type: LegacyText.OptionalText,
  weekly_amount_text: text,
  from_text: text,
  to_text: text,
  collected_by: LegacyText.OptionalText
})
type ContributionRow = typeof ContributionRow.Type

export const contributionStep = Pipeline.step({
  entity: "contribution",
  source: { table: LegacyTables.contribution.name, key: ["contrib_id"], columns: Object.keys(ContributionRow.fields) },
  legacyRow: ContributionRow,
  references: [
    clientRef<ContributionRow>(),
    { entity: "financial assessment", legacyKey: (row: ContributionRow) => (row.fa_id === null ? null : String(row.fa_id)) },
    { entity: "care package", legacyKey: (row: ContributionRow) => (row.package_id === null ? null : String(row.package_id)) }
  ],
  rules: [rf.contributionClient, rf.contributionAmount, rf.contributionWithoutFa, rf.dates],
  targets: [TargetTables.clientCharge],
  transform: (row, context) => {
    const person = context.targetKeyOf("client", String(row.client_no))
    if (person === undefined) return Pipeline.quarantine(rf.contributionClient, "client_no", "the contribution's client was not migrated")
    const amount = Clean.amount(row.weekly_amount_text, "weekly_amount_text")
    if (amount._tag === "Bad") return Pipeline.quarantine(rf.contributionAmount, "weekly_amount_text", amount.reason)
    const fields = ["from_text", "to_text"]
    const dates = Clean.all(Clean.date(row.from_text, fields[0]!, rf.dates, context), Clean.date(row.to_text, fields[1]!, rf.dates, context, { future: true }))
    if (dates._tag === "Bad") return quarantineBad(dates, fields, rf.dates)
    const flags = [...dates.flags]
    const fa = row.fa_id === null ? undefined : context.targetKeyOf("financial assessment", String(row.fa_id))
    if (fa === undefined) {
      flags.push(Pipeline.flag(rf.contributionWithoutFa, "fa_id", "error", row.fa_id === null ? "a contribution with no financial assessment" : "a contribution whose financial assessment was not migrated"))
    }
    const payer = (row.payer_type ?? "CLIENT").toUpperCase()
    const id = TargetKey.of("contribution", row.contrib_id)
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.clientCharge, {
          charge_id: id,
          person_id: person,
          cpli_care_plan_id: row.package_id === null ? null : context.targetKeyOf("care package", String(row.package_id)) ?? null,
          fa_id: fa ?? null,
          charge_type: payer === "THIRD_PARTY" ? "third_party_top_up" : "contribution",
          payer,
          weekly_amount: Clean.pounds(amount.value),
          unit_amount: null,
          units: null,
          amount: null,
          effective_from: dates.values[0],
          effective_to: dates.values[1],
          collector: row.collected_by === null ? null : row.collected_by.toUpperCase()
        })
      ),
      flags
    )
  }
})

export const ProviderInvoiceRow = Schema.Struct({
  inv_id: LegacyText.IntFromText,
  provider_id: LegacyText.IntFromText,
  provider_inv_no: LegacyText.OptionalText,
  period_from_text: text,
  period_to_text: text,
  gross_amount: text,
  contribution_deducted: text,
  net_amount: text,
  status: LegacyText.OptionalText,
  paid_date_text: text
})
type ProviderInvoiceRow = typeof ProviderInvoiceRow.Type

export const providerInvoiceStep = Pipeline.step({
  entity: "provider invoice",
  source: { table: LegacyTables.providerInvoice.name, key: ["inv_id"], columns: Object.keys(ProviderInvoiceRow.fields) },
  legacyRow: ProviderInvoiceRow,
  references: [{ entity: "provider", legacyKey: (row: ProviderInvoiceRow) => String(row.provider_id) }],
  rules: [rf.invoiceProvider, rf.dates],
  targets: [TargetTables.providerPayment],
  transform: (row, context) => {
    const provider = context.targetKeyOf("provider", String(row.provider_id))
    if (provider === undefined) return Pipeline.quarantine(rf.invoiceProvider, "provider_id", "the invoice's provider was not migrated")
    const fields = ["period_from_text", "period_to_text", "paid_date_text", "gross_amount", "contribution_deducted", "net_amount"]
    const c = Clean.all(
      Clean.date(row.period_from_text, fields[0]!, rf.dates, context),
      Clean.date(row.period_to_text, fields[1]!, rf.dates, context, { future: true }),
      Clean.date(row.paid_date_text, fields[2]!, rf.dates, context),
      Clean.amount(row.gross_amount, fields[3]!),
      Clean.amount(row.contribution_deducted, fields[4]!),
      Clean.amount(row.net_amount, fields[5]!)
    )
    if (c._tag === "Bad") return quarantineBad(c, fields, rf.dates)
    const [from, to, paid, gross, deducted, net] = c.values
    const id = TargetKey.of("provider invoice", row.inv_id)
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.providerPayment, {
          payment_id: id,
          provider_id: provider,
          invoice_ref: row.provider_inv_no,
          period_from: from,
          period_to: to,
          gross_total: Clean.pounds(gross),
          contribution_offset: Clean.pounds(deducted),
          net_total: Clean.pounds(net),
          status: row.status,
          paid_date: paid
        })
      ),
      c.flags
    )
  }
})

export const ProviderInvoiceLineRow = Schema.Struct({
  inv_line_id: LegacyText.IntFromText,
  inv_id: LegacyText.IntFromText,
  line_id: LegacyText.OptionalIntFromText,
  client_no: LegacyText.OptionalIntFromText,
  units: text,
  rate: text,
  amount: text
})
type ProviderInvoiceLineRow = typeof ProviderInvoiceLineRow.Type

export const providerInvoiceLineStep = Pipeline.step({
  entity: "provider invoice line",
  source: { table: LegacyTables.providerInvoiceLine.name, key: ["inv_line_id"], columns: Object.keys(ProviderInvoiceLineRow.fields) },
  legacyRow: ProviderInvoiceLineRow,
  references: [
    { entity: "provider invoice", legacyKey: (row: ProviderInvoiceLineRow) => String(row.inv_id) },
    { entity: "package line", legacyKey: (row: ProviderInvoiceLineRow) => (row.line_id === null ? null : String(row.line_id)) },
    { entity: "client", legacyKey: (row: ProviderInvoiceLineRow) => (row.client_no === null ? null : String(row.client_no)) }
  ],
  rules: [rf.invoiceLine],
  targets: [TargetTables.providerPaymentLine],
  transform: (row, context) => {
    const payment = context.targetKeyOf("provider invoice", String(row.inv_id))
    if (payment === undefined) return Pipeline.quarantine(rf.invoiceLine, "inv_id", "the line's invoice was not migrated")
    const service = row.line_id === null ? undefined : context.targetKeyOf("package line", String(row.line_id))
    if (row.line_id !== null && service === undefined) {
      return Pipeline.quarantine(rf.invoiceLine, "line_id", "the invoice line points at a package line that was not migrated")
    }
    const fields = ["rate", "amount"]
    const c = Clean.all(Clean.amount(row.rate, fields[0]!), Clean.amount(row.amount, fields[1]!))
    if (c._tag === "Bad") return quarantineBad(c, fields, rf.invoiceLine)
    const id = TargetKey.of("provider invoice line", row.inv_line_id)
    return Pipeline.load(
      id,
      Pipeline.row(TargetTables.providerPaymentLine, {
        line_id: id,
        payment_id: payment,
        service_id: service ?? null,
        person_id: row.client_no === null ? null : context.targetKeyOf("client", String(row.client_no)) ?? null,
        quantity: row.units === null || row.units.trim() === "" ? null : row.units.trim(),
        rate: Clean.pounds(c.values[0]),
        total_cost: Clean.pounds(c.values[1])
      })
    )
  }
})

export const DebtorInvoiceRow = Schema.Struct({
  dinv_id: LegacyText.IntFromText,
  debtor_client_no: LegacyText.IntFromText,
  charge_type: LegacyText.OptionalText,
  period_from_text: text,
  period_to_text: text,
  raised_date_text: text,
  amount_text: text,
  status: LegacyText.OptionalText
})
type DebtorInvoiceRow = typeof DebtorInvoiceRow.Type

export const debtorInvoiceStep = Pipeline.step({
  entity: "debtor invoice",
  source: { table: LegacyTables.debtorInvoice.name, key: ["dinv_id"], columns: Object.keys(DebtorInvoiceRow.fields) },
  legacyRow: DebtorInvoiceRow,
  references: [{ entity: "client", legacyKey: (row: DebtorInvoiceRow) => String(row.debtor_client_no) }],
  rules: [rf.debtorInvoice, rf.debtorAmount, rf.dates],
  targets: [TargetTables.arInvoice],
  transform: (row, context) => {
    const person = context.targetKeyOf("client", String(row.debtor_client_no))
    if (person === undefined) return Pipeline.quarantine(rf.debtorInvoice, "debtor_client_no", "the invoice's debtor was not migrated")
    const amount = Clean.amount(row.amount_text, "amount_text")
    if (amount._tag === "Bad") return Pipeline.quarantine(rf.debtorAmount, "amount_text", amount.reason)
    if (amount.value === null) return Pipeline.quarantine(rf.debtorAmount, "amount_text", "no amount")
    const fields = ["period_from_text", "period_to_text", "raised_date_text"]
    const c = Clean.all(
      Clean.date(row.period_from_text, fields[0]!, rf.dates, context),
      Clean.date(row.period_to_text, fields[1]!, rf.dates, context, { future: true }),
      Clean.date(row.raised_date_text, fields[2]!, rf.dates, context)
    )
    if (c._tag === "Bad") return quarantineBad(c, fields, rf.dates)
    const id = TargetKey.of("debtor invoice", row.dinv_id)
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.arInvoice, {
          ar_invoice_id: id,
          debtor_person_id: person,
          charge_type: row.charge_type,
          period_from: c.values[0],
          period_to: c.values[1],
          raised_date: c.values[2],
          amount: Clean.pounds(amount.value),
          status: row.status
        })
      ),
      c.flags
    )
  }
})

export const DebtorReceiptRow = Schema.Struct({
  receipt_id: LegacyText.IntFromText,
  dinv_id: LegacyText.OptionalIntFromText,
  amount: text,
  received_date_text: text,
  method: LegacyText.OptionalText
})
type DebtorReceiptRow = typeof DebtorReceiptRow.Type

export const debtorReceiptStep = Pipeline.step({
  entity: "debtor receipt",
  source: { table: LegacyTables.debtorReceipt.name, key: ["receipt_id"], columns: Object.keys(DebtorReceiptRow.fields) },
  legacyRow: DebtorReceiptRow,
  references: [{ entity: "debtor invoice", legacyKey: (row: DebtorReceiptRow) => (row.dinv_id === null ? null : String(row.dinv_id)) }],
  rules: [rf.receipt, rf.dates],
  targets: [TargetTables.arReceipt],
  transform: (row, context) => {
    const amount = Clean.amount(row.amount, "amount")
    if (amount._tag === "Bad") return Pipeline.quarantine(rf.receipt, "amount", amount.reason)
    if (amount.value === null) return Pipeline.quarantine(rf.receipt, "amount", "no amount")
    const date = Clean.date(row.received_date_text, "received_date_text", rf.dates, context)
    if (date._tag === "Bad") return Pipeline.quarantine(rf.dates, "received_date_text", date.reason)
    const invoice = row.dinv_id === null ? undefined : context.targetKeyOf("debtor invoice", String(row.dinv_id))
    if (row.dinv_id !== null && invoice === undefined) {
      return Pipeline.quarantine(rf.receipt, "dinv_id", "the receipt's invoice was not migrated")
    }
    const flags = [...date.flags]
    if (row.dinv_id === null) flags.push(Pipeline.flag(rf.receipt, "dinv_id", "warning", "an unallocated receipt"))
    const id = TargetKey.of("debtor receipt", row.receipt_id)
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.arReceipt, {
          receipt_id: id,
          ar_invoice_id: invoice ?? null,
          amount: Clean.pounds(amount.value),
          received_date: date.value,
          method: row.method
        })
      ),
      flags
    )
  }
})

export const TransportTripRow = Schema.Struct({
  trip_id: LegacyText.IntFromText,
  client_no: LegacyText.IntFromText,
  trip_date_text: text,
  journeys: LegacyText.OptionalIntFromText,
  occurred_flag: text,
  charge_amount: text
})
type TransportTripRow = typeof TransportTripRow.Type

export const transportTripStep = Pipeline.step({
  entity: "transport trip",
  source: { table: LegacyTables.transportTrip.name, key: ["trip_id"], columns: Object.keys(TransportTripRow.fields) },
  legacyRow: TransportTripRow,
  references: [clientRef<TransportTripRow>()],
  rules: [rf.tripClient, rf.tripNotOccurred, rf.dates],
  targets: [TargetTables.clientCharge],
  transform: (row, context) => {
    const person = context.targetKeyOf("client", String(row.client_no))
    if (person === undefined) return Pipeline.quarantine(rf.tripClient, "client_no", "the trip's client was not migrated")
    const charge = Clean.amount(row.charge_amount, "charge_amount")
    if (charge._tag === "Bad") return Pipeline.quarantine(rf.tripClient, "charge_amount", charge.reason)
    if (!Clean.yes(row.occurred_flag)) {
      return Pipeline.exclude(
        rf.tripNotOccurred,
        charge.value !== null && charge.value > 0 ? "a trip that did not happen but was charged: listed for refund" : "a trip that did not happen"
      )
    }
    const date = Clean.date(row.trip_date_text, "trip_date_text", rf.dates, context)
    if (date._tag === "Bad") return Pipeline.quarantine(rf.dates, "trip_date_text", date.reason)
    const journeys = row.journeys ?? 1
    const id = TargetKey.of("transport trip", row.trip_id)
    return Pipeline.withFlags(
      Pipeline.load(
        id,
        Pipeline.row(TargetTables.clientCharge, {
          charge_id: id,
          person_id: person,
          cpli_care_plan_id: null,
          fa_id: null,
          charge_type: "transport_flat",
          payer: "CLIENT",
          weekly_amount: null,
          // the charge per journey only where it divides exactly: the whole charge is kept to the penny either way
          unit_amount: charge.value !== null && journeys > 0 && charge.value % journeys === 0 ? Clean.pounds(charge.value / journeys) : null,
          units: journeys,
          amount: Clean.pounds(charge.value),
          effective_from: date.value,
          effective_to: date.value,
          collector: "COUNCIL"
        })
      ),
      date.flags
    )
  }
})
