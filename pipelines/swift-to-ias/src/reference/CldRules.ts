/**
 * The CLD validation rules that can be checked on one projected CLD event row (one event with the person's details
 * repeated, columns named as in Release 1):
 *
 * - `mandatory`: a field is blank where DHSC's applicability and mandatory conditions require it, read from
 *   `cld/rules/r1_field_applicability_and_mandatory.csv`;
 * - `event_end_date`: only a service may be open, and a service needs an end date once the person has died;
 * - `defined_list`: a value is not, exactly and case-sensitively, on the field's list for the release (CldLists);
 * - `date_format`: a date is neither `YYYY-MM-DD` nor `dd/mm/yyyy`, or is not a day of the calendar;
 * - `end_before_start`: the event ends before it starts;
 * - `future_date`: a date of birth, death or event falls after the end of the reporting period;
 * - `nhs_number_format` and `nhs_number_check_digit`: an NHS number is not ten digits, or fails its Modulus 11 check;
 * - `numeric_format`: a unit cost or planned units per week does not cast to `numeric(18,2)`.
 *
 * The conditions were written for Release 1 labels and compared by SQL Server without regard to case; they are
 * applied the same way here, each Release 1 label also matching its Release 2 successor ('Carer known by association'
 * and 'Unpaid carer known by association', say). A condition on a blank client type, event type, date of birth or
 * delivery mechanism is undetermined and makes no field mandatory, as in SQL, where a comparison with NULL is not
 * true (the blank itself is reported where that field is mandatory); a blank assessment type is simply not a
 * financial assessment.
 */
import * as NhsNumber from "@handover/core/NhsNumber"
import * as CldLists from "./CldLists.ts"
import * as CsvFile from "./CsvFile.ts"

/** The columns of a CLD row, Release 1 names. */
export const cldColumns = [
  "LA_Code",
  "Reporting_Period_Start_Date",
  "Reporting_Period_End_Date",
  "NHS_Number",
  "LA_Person_Unique_Identifier",
  "First_Name",
  "Last_Name",
  "GP_Practice_Name",
  "GP_Practice_Code",
  "Gender",
  "Ethnicity",
  "Date_of_Birth",
  "Date_of_Death",
  "Client_Type",
  "Primary_Support_Reason",
  "Postcode",
  "Accommodation_Status",
  "Employment_Status",
  "Has_Unpaid_Carer",
  "Autism_Spectrum_Disorder_ASD",
  "Visual_Impairment",
  "Hearing_Impairment",
  "Dementia",
  "Client_Funding_Status",
  "Event_Type",
  "Event_Reference",
  "Event_Start_Date",
  "Event_End_Date",
  "Event_Description",
  "Event_Outcome",
  "Request_Route_of_Access",
  "Assessment_Type",
  "Eligible_Needs_Identified",
  "Method_of_Assessment",
  "Total_Hrs_Caring_per_week",
  "No_of_adults_being_cared_for",
  "Adult_1_Linked_Person_ID",
  "Adult_2_Linked_Person_ID",
  "Adult_3_Linked_Person_ID",
  "Service_Type",
  "Service_Component",
  "Delivery_Mechanism",
  "Provider_CQC_Location_Name",
  "Provider_CQC_Location_ID",
  "Review_Reason",
  "Review_Outcomes_Achieved",
  "Method_of_Review",
  "Unit_Cost",
  "Cost_Frequency_Unit_Type",
  "Planned_Units_Per_Week"
] as const

export type CldColumn = (typeof cldColumns)[number]

/** One CLD event row as text; a missing, null or blank value is blank. */
export type CldRow = Readonly<Partial<Record<CldColumn, string | null>>>

export type RuleId =
  | "mandatory"
  | "event_end_date"
  | "defined_list"
  | "date_format"
  | "end_before_start"
  | "future_date"
  | "nhs_number_format"
  | "nhs_number_check_digit"
  | "numeric_format"

export interface Violation {
  readonly rule: RuleId
  readonly field: CldColumn
  readonly message: string
}

export interface Options {
  /** The release the row is checked against; Release 2 unless said. */
  readonly release?: CldLists.Release
  /** The end of the reporting period, `YYYY-MM-DD` or `dd/mm/yyyy`; the row's Reporting_Period_End_Date unless said. */
  readonly reportingPeriodEnd?: string
}

// ---------------------------------------------------------------------------------------------------------------
// Values

const text = (row: CldRow, column: CldColumn): string | undefined => {
  const value = row[column]
  if (value === null || value === undefined) return undefined
  return value.trim() === "" ? undefined : value.trim()
}

const lower = (row: CldRow, column: CldColumn) => text(row, column)?.toLowerCase()

const startsWith = (row: CldRow, column: CldColumn, prefixes: ReadonlyArray<string>): boolean => {
  const v = lower(row, column)
  return v !== undefined && prefixes.some((p) => v.startsWith(p.toLowerCase()))
}

/** The SQL `NOT LIKE 'x%'`: undetermined (false) for a blank value. */
const startsWithNone = (row: CldRow, column: CldColumn, prefixes: ReadonlyArray<string>): boolean =>
  lower(row, column) !== undefined && !startsWith(row, column, prefixes)

const equalsAny = (row: CldRow, column: CldColumn, values: ReadonlyArray<string>): boolean => {
  const v = lower(row, column)
  return v !== undefined && values.some((x) => x.toLowerCase() === v)
}

/** A date as days since the epoch, or `undefined` when the text is no day of the calendar. */
export const parseDate = (value: string): number | undefined => {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
  const uk = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(value)
  const [y, m, d] = iso !== null ? [iso[1], iso[2], iso[3]] : uk !== null ? [uk[3], uk[2], uk[1]] : []
  if (y === undefined || m === undefined || d === undefined) return undefined
  const time = Date.UTC(Number(y), Number(m) - 1, Number(d))
  const date = new Date(time)
  if (date.getUTCFullYear() !== Number(y) || date.getUTCMonth() !== Number(m) - 1 || date.getUTCDate() !== Number(d)) {
    return undefined
  }
  return time / 86_400_000
}

const dateOf = (row: CldRow, column: CldColumn): number | undefined => {
  const v = text(row, column)
  return v === undefined ? undefined : parseDate(v)
}

/** Whole years of age on a day, or `undefined` when a date is missing. */
const ageOn = (birth: number | undefined, day: number | undefined): number | undefined => {
  if (birth === undefined || day === undefined) return undefined
  const b = new Date(birth * 86_400_000)
  const d = new Date(day * 86_400_000)
  const before = d.getUTCMonth() < b.getUTCMonth() ||
    (d.getUTCMonth() === b.getUTCMonth() && d.getUTCDate() < b.getUTCDate())
  return d.getUTCFullYear() - b.getUTCFullYear() - (before ? 1 : 0)
}

// ---------------------------------------------------------------------------------------------------------------
// The conditions of the applicability and mandatory file, by their exact text

interface Context {
  readonly periodEnd: number | undefined
}

type Condition = (row: CldRow, context: Context) => boolean

const knownByAssociation = ["Carer known by association", "Unpaid carer known by association"]
const notKnownByAssociation: Condition = (row) =>
  lower(row, "Client_Type") !== undefined && !equalsAny(row, "Client_Type", knownByAssociation)
const eventIs = (...prefixes: ReadonlyArray<string>): Condition => (row) => startsWith(row, "Event_Type", prefixes)
const serviceUser: Condition = (row) => startsWith(row, "Client_Type", ["Service User"])
const and = (...conditions: ReadonlyArray<Condition>): Condition => (row, context) =>
  conditions.every((c) => c(row, context))
const or = (...conditions: ReadonlyArray<Condition>): Condition => (row, context) =>
  conditions.some((c) => c(row, context))

const financialAssessment = (row: CldRow): boolean => startsWith(row, "Assessment_Type", ["Financial Assessment"])
// a blank assessment type is not a financial assessment: the outcome of a request, service or review is mandatory
const notFinancialAssessment = (row: CldRow): boolean => !financialAssessment(row)

const conditions: Readonly<Record<string, Condition>> = {
  "always": () => true,
  "never": () => false,
  "Client_Type is not 'Carer known by association'": notKnownByAssociation,
  "Client_Type is not 'Carer known by association' AND Event_Type starts with 'Request' or 'Referral'": and(
    notKnownByAssociation,
    eventIs("Request", "Referral")
  ),
  "Client_Type is not 'Carer known by association' AND Event_Type starts with 'Assessment'": and(
    notKnownByAssociation,
    eventIs("Assessment")
  ),
  "Client_Type is not 'Carer known by association' AND Event_Type starts with 'Service'": and(
    notKnownByAssociation,
    eventIs("Service")
  ),
  "Client_Type is not 'Carer known by association' AND Event_Type starts with 'Review'": and(
    notKnownByAssociation,
    eventIs("Review")
  ),
  "Client_Type starts with 'Carer'": (row) => startsWith(row, "Client_Type", ["Carer", "Unpaid carer"]),
  "Client_Type starts with 'Service User'": serviceUser,
  "Event_Type does not start with 'Request' or 'Referral' (i.e. not mandatory on requests)": (row) =>
    startsWithNone(row, "Event_Type", ["Request", "Referral"]),
  "Client_Type starts with 'Service User' AND age at reporting period end 18-64 AND Primary_Support_Reason = 'Learning Disability Support'":
    (row, context) => {
      const age = ageOn(dateOf(row, "Date_of_Birth"), context.periodEnd)
      return serviceUser(row, context) && age !== undefined && age >= 18 && age <= 64 &&
        equalsAny(row, "Primary_Support_Reason", ["Learning Disability Support"])
    },
  "Client_Type starts with 'Service User' AND (financial assessment event [Event_Type starts 'Assessment' and Assessment_Type starts 'Financial Assessment'] OR Event_Type starts with 'Service' or 'Review')":
    and(serviceUser, or(and(eventIs("Assessment"), financialAssessment), eventIs("Service", "Review"))),
  "(Client_Type is not 'Carer known by association' AND Event_Type does not start with 'Service') OR Date_of_Death is populated":
    or(and(notKnownByAssociation, (row) => startsWithNone(row, "Event_Type", ["Service"])), (row) =>
      text(row, "Date_of_Death") !== undefined),
  "Client_Type is not 'Carer known by association' AND Assessment_Type is not 'Financial Assessment'": and(
    notKnownByAssociation,
    notFinancialAssessment
  ),
  "Assessment_Type does not start with 'Financial Assessment'": notFinancialAssessment,
  // Release 2 reasons only start with 'Planned' (DHSC matches them with LIKE 'Planned%')
  "Review_Reason = 'Planned'": (row) => startsWith(row, "Review_Reason", ["Planned"]),
  "Event_Type starts with 'Service' AND Delivery_Mechanism does not contain 'CASSR Commissioned Support' AND (Service_Type starts with 'Long Term' OR Service_Component in {'Short Term Residential Care','Short Term Nursing Care','Carer Respite'} OR Service_Type starts with 'Carer Support')":
    and(
      eventIs("Service"),
      (row) => {
        const mechanism = lower(row, "Delivery_Mechanism")
        return mechanism !== undefined && !mechanism.includes("cassr commissioned support")
      },
      (row) =>
        startsWith(row, "Service_Type", ["Long Term", "Carer Support", "Unpaid carer support"]) ||
        equalsAny(row, "Service_Component", [
          "Short Term Residential Care",
          "Short Term Nursing Care",
          "Carer Respite",
          "Unpaid carer respite"
        ])
    )
}

const conditionOf = (condition: string, applicable?: Condition): Condition => {
  if (condition === "same as applicable" && applicable !== undefined) return applicable
  const rest = /^applicable AND (.*)$/.exec(condition)?.[1]
  const known = conditions[rest ?? condition]
  if (known === undefined) throw new Error(`cld/rules: no reading of the condition ${JSON.stringify(condition)}`)
  return rest === undefined ? known : and(applicable ?? (() => false), known)
}

export interface FieldRule {
  readonly field: CldColumn
  readonly applicableWhen: string
  readonly mandatoryWhen: string
  readonly applicable: Condition
  readonly mandatory: Condition
}

let fieldRules: ReadonlyArray<FieldRule> | undefined

/** The applicability and mandatory rule of every field, from the rules file, each condition read into a predicate. */
export const rulesOfFields = (): ReadonlyArray<FieldRule> => {
  fieldRules ??= CsvFile.read(new URL("./cld/rules/r1_field_applicability_and_mandatory.csv", import.meta.url), [
    "field",
    "applicable_when",
    "mandatory_when"
  ]).map((record) => {
    const name = record["field"] ?? ""
    const field = cldColumns.find((c) => c.toLowerCase() === name.toLowerCase())
    if (field === undefined) throw new Error(`cld/rules: ${name} is not a CLD column`)
    const applicableWhen = record["applicable_when"] ?? ""
    const mandatoryWhen = record["mandatory_when"] ?? ""
    const applicable = conditionOf(applicableWhen)
    return { field, applicableWhen, mandatoryWhen, applicable, mandatory: conditionOf(mandatoryWhen, applicable) }
  })
  return fieldRules
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

const dateColumns: ReadonlyArray<CldColumn> = [
  "Reporting_Period_Start_Date",
  "Reporting_Period_End_Date",
  "Date_of_Birth",
  "Date_of_Death",
  "Event_Start_Date",
  "Event_End_Date"
]

const notInFuture: ReadonlyArray<CldColumn> = ["Date_of_Birth", "Date_of_Death", "Event_Start_Date", "Event_End_Date"]

/** What SQL Server's `TRY_CAST(x AS numeric(18,2))` accepts: up to 16 digits before the point. */
const numeric18_2 = /^[+-]?(\d{1,16}(\.\d*)?|\.\d+)$/

const listMessage = (field: CldLists.ListField, value: string, release: CldLists.Release): string => {
  const others = CldLists.releasesOf(field, value).filter((r) => r !== release)
  const known = others.length === 0 ? "" : ` (it is a value of ${others.join(", ")})`
  const near = CldLists.accepted(field, release).find((v) => v.value.toLowerCase() === value.trim().toLowerCase())
  const hint = near === undefined ? "" : `; did you mean ${JSON.stringify(near.value)}?`
  return `${JSON.stringify(value)} is not on the ${release} list of ${field}${known}${hint}`
}

const contextOf = (row: CldRow, options: Options) => {
  const periodEndText = options.reportingPeriodEnd ?? text(row, "Reporting_Period_End_Date")
  return { periodEndText, context: { periodEnd: periodEndText === undefined ? undefined : parseDate(periodEndText) } satisfies Context }
}

const openEventWith = (row: CldRow, context: Context): Violation | undefined => {
  const eventType = text(row, "Event_Type")
  if (eventType === undefined || text(row, "Event_End_Date") !== undefined) return undefined
  if (!startsWith(row, "Event_Type", ["Service"])) {
    return { rule: "event_end_date", field: "Event_End_Date", message: `only a service may be open: a ${eventType} event needs an end date` }
  }
  const endRule = rulesOfFields().find((r) => r.field === "Event_End_Date")
  return endRule?.mandatory(row, context) === true
    ? { rule: "event_end_date", field: "Event_End_Date", message: "the person has died: the service needs an end date" }
    : undefined
}

/** The `event_end_date` rule alone, as `validate` gives it: an event left open that only a living person's service may be. */
export const openEvent = (row: CldRow, options: Options = {}): Violation | undefined => openEventWith(row, contextOf(row, options).context)

/** Every rule the row breaks, in the order of the rules above. */
export const validate = (row: CldRow, options: Options = {}): ReadonlyArray<Violation> => {
  const release = options.release ?? "R2"
  const { periodEndText, context } = contextOf(row, options)
  const violations: Array<Violation> = []
  const add = (rule: RuleId, field: CldColumn, message: string) => violations.push({ rule, field, message })

  for (const r of rulesOfFields()) {
    if (r.field === "Event_End_Date") continue
    if (text(row, r.field) === undefined && r.mandatory(row, context)) {
      add("mandatory", r.field, `${r.field} is blank but mandatory when ${r.mandatoryWhen}`)
    }
  }

  const open = openEventWith(row, context)
  if (open !== undefined) violations.push(open)

  for (const field of CldLists.listFields) {
    const value = row[field]
    if (value === null || value === undefined || value.trim() === "") continue
    if (!CldLists.isValid(field, value, release)) add("defined_list", field, listMessage(field, value, release))
  }

  for (const field of dateColumns) {
    const value = text(row, field)
    if (value !== undefined && parseDate(value) === undefined) {
      add("date_format", field, `${JSON.stringify(value)} is not a date (YYYY-MM-DD or dd/mm/yyyy)`)
    }
  }

  const start = dateOf(row, "Event_Start_Date")
  const end = dateOf(row, "Event_End_Date")
  if (start !== undefined && end !== undefined && end < start) {
    const dates = `${text(row, "Event_End_Date")} is before ${text(row, "Event_Start_Date")}`
    add("end_before_start", "Event_End_Date", `the event ends before it starts: ${dates}`)
  }

  if (context.periodEnd !== undefined) {
    for (const field of notInFuture) {
      const day = dateOf(row, field)
      if (day !== undefined && day > context.periodEnd) {
        add("future_date", field, `${field} ${text(row, field)} is after the end of the reporting period ${periodEndText}`)
      }
    }
  }

  const nhs = text(row, "NHS_Number")
  if (nhs !== undefined && !/^\d{10}$/.test(nhs)) {
    add("nhs_number_format", "NHS_Number", `${JSON.stringify(nhs)} is not ten digits`)
  } else if (nhs !== undefined && !NhsNumber.isValid(nhs)) {
    add("nhs_number_check_digit", "NHS_Number", `${nhs} fails its Modulus 11 check`)
  }

  for (const field of ["Unit_Cost", "Planned_Units_Per_Week"] as const) {
    const value = text(row, field)
    if (value !== undefined && !numeric18_2.test(value)) {
      add("numeric_format", field, `${JSON.stringify(value)} does not cast to numeric(18,2)`)
    }
  }

  return violations
}
