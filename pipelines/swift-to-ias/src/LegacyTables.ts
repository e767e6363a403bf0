/**
 * The legacy SWIFT-like schema, as an extract from the old system holds it: free text where SWIFT had free text
 * (dates, NHS numbers, postcodes, codes), so that the defects of a real estate can be represented. One definition
 * creates it on PostgreSQL, PGlite and SQL Server.
 */
import { Table } from "@handover/sql"

const { text, int, bigint, decimal, date, nullable } = Table
const t = (n: number) => nullable(text(n))
const money = nullable(decimal(13, 2))

export const lookup = Table.make({
  name: "lg_lookup",
  columns: { domain: text(30), code: text(30), description: t(200), active: t(1), valid_from: nullable(date), valid_to: nullable(date) },
  primaryKey: ["domain", "code"]
})

export const team = Table.make({
  name: "lg_team",
  columns: { team_code: text(10), team_name: t(80), cost_centre: t(12) },
  primaryKey: ["team_code"]
})

export const worker = Table.make({
  name: "lg_worker",
  columns: { worker_id: int, forenames: t(60), surname: t(60), team_code: t(10), system_user: t(20) },
  primaryKey: ["worker_id"]
})

export const client = Table.make({
  name: "lg_client",
  columns: {
    client_no: int,
    prev_system_ref: t(20),
    title: t(10),
    forename: t(60),
    surname: t(60),
    other_names: t(120),
    dob_text: t(20),
    dob_estimated: t(1),
    gender_code: t(1),
    ethnic_code: t(8),
    nhs_no_text: t(20),
    nhs_no_verified: t(1),
    date_of_death_text: t(20),
    deceased_flag: t(1),
    first_language: t(40),
    religion: t(40),
    psr_code: t(60),
    accommodation_code: t(10),
    employment_code: t(10),
    client_category: t(10),
    restricted_flag: t(1),
    merged_into_client_no: nullable(int),
    created_date: nullable(date),
    created_by: t(30),
    last_updated: nullable(date)
  },
  primaryKey: ["client_no"]
})

export const address = Table.make({
  name: "lg_address",
  columns: {
    address_id: int,
    client_no: int,
    address_type: t(10),
    line1: t(60),
    line2: t(60),
    line3: t(60),
    line4: t(60),
    line5: t(60),
    postcode_text: t(12),
    uprn_text: t(20),
    start_date_text: t(20),
    end_date_text: t(20),
    is_display: t(1),
    is_contact: t(1)
  },
  primaryKey: ["address_id"]
})

export const telephone = Table.make({
  name: "lg_telephone",
  columns: { phone_id: int, client_no: int, number: t(30), phone_type: t(10) },
  primaryKey: ["phone_id"]
})

export const relationship = Table.make({
  name: "lg_relationship",
  columns: {
    rel_id: int,
    client_no: int,
    related_client_no: nullable(int),
    related_name_text: t(120),
    rel_type_code: t(20),
    is_main_carer: t(1),
    is_next_of_kin: t(1),
    is_financial_agent: t(1),
    start_date_text: t(20),
    end_date_text: t(20)
  },
  primaryKey: ["rel_id"]
})

export const referral = Table.make({
  name: "lg_referral",
  columns: {
    referral_id: int,
    client_no: int,
    received_date_text: t(20),
    source_code: t(20),
    route_code: t(20),
    reason_code: t(20),
    outcome_code: t(60),
    closed_date_text: t(20),
    team_code: t(10)
  },
  primaryKey: ["referral_id"]
})

export const involvement = Table.make({
  name: "lg_involvement",
  columns: {
    involvement_id: int,
    client_no: int,
    referral_id: nullable(int),
    team_code: t(10),
    worker_id: nullable(int),
    is_key_team: t(1),
    start_date_text: t(20),
    end_date_text: t(20)
  },
  primaryKey: ["involvement_id"]
})

export const assessment = Table.make({
  name: "lg_assessment",
  columns: {
    assessment_id: int,
    client_no: int,
    referral_id: nullable(int),
    assessment_type_code: t(20),
    started_date_text: t(20),
    completed_date_text: t(20),
    eligible_needs: t(1),
    method_code: t(20),
    outcome_code: t(60),
    worker_id: nullable(int)
  },
  primaryKey: ["assessment_id"]
})

export const review = Table.make({
  name: "lg_review",
  columns: {
    review_id: int,
    client_no: int,
    planned_flag: t(1),
    review_date_text: t(20),
    outcome_code: t(60),
    outcomes_achieved: t(20),
    method_code: t(20)
  },
  primaryKey: ["review_id"]
})

export const provider = Table.make({
  name: "lg_provider",
  columns: {
    provider_id: int,
    provider_name: t(120),
    provider_type: t(10),
    address_text: t(250),
    postcode_text: t(12),
    cqc_location_id: t(20),
    cqc_provider_id: t(20),
    creditor_no: t(20),
    creditor_site: t(20),
    registered_beds: nullable(int),
    status: t(10),
    contract_ref: t(30),
    predecessor_provider_id: nullable(int)
  },
  primaryKey: ["provider_id"]
})

export const serviceCatalogue = Table.make({
  name: "lg_service_catalogue",
  columns: { service_code: text(12), description: t(80), unit_type: t(10), charge_basis: t(10) },
  primaryKey: ["service_code"]
})

export const carePackage = Table.make({
  name: "lg_care_package",
  columns: {
    package_id: int,
    client_no: int,
    assessment_id: nullable(int),
    key_team_code: t(10),
    cost_centre: t(12),
    budget_code: t(30),
    package_status: t(10),
    start_date_text: t(20),
    end_date_text: t(20),
    authorised_by: t(30)
  },
  primaryKey: ["package_id"]
})

export const packageLine = Table.make({
  name: "lg_package_line",
  columns: {
    line_id: int,
    package_id: int,
    service_code: t(12),
    element_type: t(60),
    provider_id: nullable(int),
    start_date_text: t(20),
    end_date_text: t(20),
    units_per_week: nullable(decimal(9, 2)),
    unit_rate: money,
    rate_basis: t(10),
    weekly_cost_stored: money,
    payment_basis: t(5),
    contribution_collector: t(10),
    is_direct_payment: t(1),
    suspended_flag: t(1)
  },
  primaryKey: ["line_id"]
})

export const financialAssessment = Table.make({
  name: "lg_financial_assessment",
  columns: {
    fa_id: int,
    client_no: int,
    fa_type: t(10),
    assessed_date_text: t(20),
    effective_from_text: t(20),
    effective_to_text: t(20),
    capital_total: money,
    weekly_income: money,
    tariff_income: money,
    assessed_weekly_charge: money,
    full_cost_flag: t(1),
    property_disregard_end_text: t(20),
    deferred_payment_flag: t(1),
    status: t(10)
  },
  primaryKey: ["fa_id"]
})

export const contribution = Table.make({
  name: "lg_contribution",
  columns: {
    contrib_id: int,
    client_no: int,
    package_id: nullable(int),
    fa_id: nullable(int),
    payer_type: t(12),
    weekly_amount_text: t(20),
    from_text: t(20),
    to_text: t(20),
    collected_by: t(10)
  },
  primaryKey: ["contrib_id"]
})

export const providerInvoice = Table.make({
  name: "lg_provider_invoice",
  columns: {
    inv_id: int,
    provider_id: int,
    provider_inv_no: t(30),
    period_from_text: t(20),
    period_to_text: t(20),
    gross_amount: money,
    contribution_deducted: money,
    net_amount: money,
    status: t(10),
    paid_date_text: t(20)
  },
  primaryKey: ["inv_id"]
})

export const providerInvoiceLine = Table.make({
  name: "lg_provider_invoice_line",
  columns: {
    inv_line_id: int,
    inv_id: int,
    line_id: nullable(int),
    client_no: nullable(int),
    units: nullable(decimal(9, 2)),
    rate: money,
    amount: money
  },
  primaryKey: ["inv_line_id"]
})

export const debtorInvoice = Table.make({
  name: "lg_debtor_invoice",
  columns: {
    dinv_id: int,
    debtor_client_no: int,
    charge_type: t(12),
    period_from_text: t(20),
    period_to_text: t(20),
    raised_date_text: t(20),
    amount_text: t(20),
    status: t(12)
  },
  primaryKey: ["dinv_id"]
})

export const debtorReceipt = Table.make({
  name: "lg_debtor_receipt",
  columns: { receipt_id: int, dinv_id: nullable(int), amount: money, received_date_text: t(20), method: t(10) },
  primaryKey: ["receipt_id"]
})

export const transportTrip = Table.make({
  name: "lg_transport_trip",
  columns: {
    trip_id: int,
    client_no: int,
    trip_date_text: t(20),
    journeys: nullable(int),
    occurred_flag: t(1),
    charge_amount: money
  },
  primaryKey: ["trip_id"]
})

export const safeguardingConcern = Table.make({
  name: "lg_sg_concern",
  columns: {
    concern_id: int,
    client_no: int,
    received_date_text: t(20),
    referral_source: t(40),
    decision_code: t(10),
    decision_date_text: t(20)
  },
  primaryKey: ["concern_id"]
})

export const safeguardingEnquiry = Table.make({
  name: "lg_sg_enquiry",
  columns: {
    enquiry_id: int,
    concern_id: nullable(int),
    client_no: int,
    enquiry_type: t(6),
    start_date_text: t(20),
    concluded_date_text: t(20),
    msp_outcomes_asked: t(1)
  },
  primaryKey: ["enquiry_id"]
})

export const safeguardingRisk = Table.make({
  name: "lg_sg_risk",
  columns: {
    risk_id: int,
    enquiry_id: int,
    type_of_risk: t(40),
    location_of_risk: t(60),
    source_of_risk: t(80),
    risk_outcome: t(20)
  },
  primaryKey: ["risk_id"]
})

export const caseNote = Table.make({
  name: "lg_case_note",
  columns: {
    note_id: int,
    client_no: int,
    note_type: t(30),
    note_date_text: t(20),
    title: t(200),
    body: nullable(text()),
    created_by: t(30)
  },
  primaryKey: ["note_id"]
})

export const document = Table.make({
  name: "lg_document",
  columns: {
    doc_id: int,
    client_no: int,
    doc_type: t(30),
    file_name: t(255),
    created_date_text: t(20),
    sha256: t(64),
    byte_size: nullable(bigint)
  },
  primaryKey: ["doc_id"]
})

/** Every legacy table, parents before children. */
export const all = [
  lookup,
  team,
  worker,
  client,
  address,
  telephone,
  relationship,
  referral,
  involvement,
  assessment,
  review,
  provider,
  serviceCatalogue,
  carePackage,
  packageLine,
  financialAssessment,
  contribution,
  providerInvoice,
  providerInvoiceLine,
  debtorInvoice,
  debtorReceipt,
  transportTrip,
  safeguardingConcern,
  safeguardingEnquiry,
  safeguardingRisk,
  caseNote,
  document
] as const
