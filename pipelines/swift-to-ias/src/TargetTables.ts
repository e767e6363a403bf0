/**
 * The target: the case system (people, addresses, relationships, requests, assessments, reviews, care plans,
 * services, safeguarding) and the finance system (providers, care package line items, financial assessments,
 * client charges, provider payments, debtor invoices and receipts), with the reference code tables the code columns
 * are checked against. Keys are text UUIDs derived from the legacy keys, so every rehearsal produces the same keys.
 */
import { Table } from "@handover/sql"

const { text, int, bigint, decimal, date, boolean, nullable } = Table
const id = text(36)
const optionalId = nullable(text(36))
const t = (n: number) => nullable(text(n))
const money = decimal(13, 2)
const optionalMoney = nullable(decimal(13, 2))

// ---- reference codes -----------------------------------------------------------------------------------------

export const refCode = Table.make({
  name: "ref_code",
  columns: { code_system: text(60), code: text(200), release: text(12), grouped: t(200), confidence: t(10) },
  primaryKey: ["code_system", "code", "release"]
})

export const refCodeMap = Table.make({
  name: "ref_code_map",
  columns: { code_system: text(60), legacy_value: text(200), target_code: text(200), rule: text(20) },
  primaryKey: ["code_system", "legacy_value"]
})

// ---- finance: providers first, people refer to nothing in finance ---------------------------------------------

export const provider = Table.make({
  name: "cc_provider",
  columns: {
    provider_id: id,
    legacy_provider_id: int,
    name: text(120),
    provider_category: text(20),
    cqc_provider_id: t(20),
    cqc_location_id: t(20),
    creditor_ref: t(20),
    creditor_site: t(20),
    registered_beds: nullable(int),
    status: text(10),
    contract_ref: t(30),
    postcode: t(8),
    predecessor_provider_id: optionalId
  },
  primaryKey: ["provider_id"]
})

// ---- case system ---------------------------------------------------------------------------------------------

export const person = Table.make({
  name: "las_person",
  columns: {
    person_id: id,
    la_person_unique_identifier: text(20),
    nhs_number: t(10),
    nhs_number_status: text(20),
    title: t(10),
    first_name: t(60),
    last_name: t(60),
    date_of_birth: nullable(date),
    dob_accuracy: t(20),
    date_of_death: nullable(date),
    gender: t(40),
    ethnicity: t(120),
    primary_support_reason: t(120),
    accommodation_status: t(120),
    employment_status: t(120),
    client_type: text(40),
    restricted: boolean
  },
  primaryKey: ["person_id"]
})

export const address = Table.make({
  name: "las_address",
  columns: {
    address_id: id,
    person_id: id,
    address_use: t(12),
    line1: t(60),
    line2: t(60),
    line3: t(60),
    line4: t(60),
    town: t(60),
    postcode: t(8),
    postcode_status: text(10),
    uprn: nullable(bigint),
    valid_from: nullable(date),
    valid_to: nullable(date),
    is_primary: boolean
  },
  primaryKey: ["address_id"]
})

export const relationship = Table.make({
  name: "las_person_relationship",
  columns: {
    rel_id: id,
    person_id: id,
    related_person_id: optionalId,
    related_name: t(120),
    relationship: t(40),
    is_unpaid_carer: boolean,
    is_main_carer: boolean,
    is_next_of_kin: boolean,
    is_financial_representative: boolean,
    valid_from: nullable(date),
    valid_to: nullable(date)
  },
  primaryKey: ["rel_id"]
})

export const request = Table.make({
  name: "las_request",
  columns: {
    request_id: id,
    person_id: id,
    event_reference: text(30),
    event_start_date: date,
    event_end_date: nullable(date),
    request_route_of_access: t(120),
    event_outcome: t(120),
    key_team: t(10),
    status: text(10)
  },
  primaryKey: ["request_id"]
})

export const assessment = Table.make({
  name: "las_assessment",
  columns: {
    assessment_id: id,
    person_id: id,
    request_id: optionalId,
    event_reference: text(30),
    event_start_date: date,
    event_end_date: nullable(date),
    assessment_type: t(80),
    eligible_needs_identified: t(10),
    method_of_assessment: t(80),
    event_outcome: t(120)
  },
  primaryKey: ["assessment_id"]
})

export const review = Table.make({
  name: "las_review",
  columns: {
    review_id: id,
    person_id: id,
    event_reference: text(30),
    event_start_date: date,
    event_end_date: date,
    review_reason: t(80),
    review_outcomes_achieved: t(80),
    method_of_review: t(80),
    event_outcome: t(120)
  },
  primaryKey: ["review_id"]
})

export const carePlan = Table.make({
  name: "las_care_plan",
  columns: {
    care_plan_id: id,
    person_id: id,
    legacy_package_id: int,
    start_date: nullable(date),
    end_date: nullable(date),
    status: text(12),
    key_team: t(10),
    cost_centre: t(12),
    authorised_by: t(30)
  },
  primaryKey: ["care_plan_id"]
})

export const service = Table.make({
  name: "las_service",
  columns: {
    service_id: id,
    person_id: id,
    care_plan_id: id,
    event_reference: text(30),
    service_type: t(120),
    service_component: t(120),
    delivery_mechanism: t(120),
    provider_id: optionalId,
    provider_cqc_location_id: t(20),
    event_start_date: date,
    event_end_date: nullable(date),
    end_reason: t(40),
    event_outcome: t(120),
    unit_cost: optionalMoney,
    cost_frequency_unit_type: t(40),
    planned_units_per_week: nullable(decimal(9, 2)),
    suspended: boolean
  },
  primaryKey: ["service_id"]
})

export const carePackageLineItem = Table.make({
  name: "cc_cpli",
  columns: {
    cpli_id: id,
    service_id: id,
    person_id: id,
    provider_id: optionalId,
    element_kind: text(20),
    element_type: t(60),
    start_date: date,
    end_date: nullable(date),
    unit_type: t(20),
    planned_units_per_week: nullable(decimal(9, 2)),
    unit_rate: optionalMoney,
    weekly_cost_gross: money,
    weekly_cost_stored: optionalMoney,
    payment_basis: t(5),
    contribution_collector: t(10),
    status: text(12)
  },
  primaryKey: ["cpli_id"]
})

export const financialAssessment = Table.make({
  name: "cc_financial_assessment",
  columns: {
    fa_id: id,
    person_id: id,
    fa_type: t(10),
    assessed_date: nullable(date),
    effective_from: nullable(date),
    effective_to: nullable(date),
    capital_total: optionalMoney,
    weekly_income: optionalMoney,
    tariff_income: optionalMoney,
    assessed_weekly_charge: optionalMoney,
    full_cost: boolean,
    property_disregard_end: nullable(date),
    deferred_payment: boolean,
    status: t(12)
  },
  primaryKey: ["fa_id"]
})

export const clientCharge = Table.make({
  name: "cc_client_charge",
  columns: {
    charge_id: id,
    person_id: id,
    cpli_care_plan_id: optionalId,
    fa_id: optionalId,
    charge_type: text(30),
    payer: t(12),
    weekly_amount: optionalMoney,
    unit_amount: optionalMoney,
    units: nullable(int),
    /** The whole charge, for charges made per unit (transport per journey). */
    amount: optionalMoney,
    effective_from: nullable(date),
    effective_to: nullable(date),
    collector: t(10)
  },
  primaryKey: ["charge_id"]
})

export const providerPayment = Table.make({
  name: "cc_provider_payment",
  columns: {
    payment_id: id,
    provider_id: id,
    invoice_ref: t(30),
    period_from: nullable(date),
    period_to: nullable(date),
    gross_total: optionalMoney,
    contribution_offset: optionalMoney,
    net_total: optionalMoney,
    status: t(12),
    paid_date: nullable(date)
  },
  primaryKey: ["payment_id"]
})

export const providerPaymentLine = Table.make({
  name: "cc_provider_payment_line",
  columns: {
    line_id: id,
    payment_id: id,
    service_id: optionalId,
    person_id: optionalId,
    quantity: nullable(decimal(9, 2)),
    rate: optionalMoney,
    total_cost: optionalMoney
  },
  primaryKey: ["line_id"]
})

export const arInvoice = Table.make({
  name: "cc_ar_invoice",
  columns: {
    ar_invoice_id: id,
    debtor_person_id: id,
    charge_type: t(20),
    period_from: nullable(date),
    period_to: nullable(date),
    raised_date: nullable(date),
    amount: money,
    status: t(12)
  },
  primaryKey: ["ar_invoice_id"]
})

export const arReceipt = Table.make({
  name: "cc_ar_receipt",
  columns: {
    receipt_id: id,
    ar_invoice_id: optionalId,
    amount: money,
    received_date: nullable(date),
    method: t(12)
  },
  primaryKey: ["receipt_id"]
})

export const safeguardingConcern = Table.make({
  name: "las_sg_concern",
  columns: {
    concern_id: id,
    person_id: id,
    received_date: nullable(date),
    source_of_referral: t(80),
    decision: t(30),
    decision_date: nullable(date)
  },
  primaryKey: ["concern_id"]
})

export const safeguardingEnquiry = Table.make({
  name: "las_sg_enquiry",
  columns: {
    enquiry_id: id,
    concern_id: id,
    person_id: id,
    enquiry_type: t(10),
    start_date: nullable(date),
    concluded_date: nullable(date),
    outcomes_expressed: nullable(boolean)
  },
  primaryKey: ["enquiry_id"]
})

export const safeguardingRisk = Table.make({
  name: "las_sg_risk",
  columns: {
    risk_id: id,
    enquiry_id: id,
    type_of_risk: t(60),
    location_of_risk: t(80),
    source_of_risk: t(80),
    risk_outcome: t(30)
  },
  primaryKey: ["risk_id"]
})

/** Every target table, parents before children. */
export const all = [
  refCode,
  refCodeMap,
  provider,
  person,
  address,
  relationship,
  request,
  assessment,
  review,
  carePlan,
  service,
  carePackageLineItem,
  financialAssessment,
  clientCharge,
  providerPayment,
  providerPaymentLine,
  arInvoice,
  arReceipt,
  safeguardingConcern,
  safeguardingEnquiry,
  safeguardingRisk
] as const
