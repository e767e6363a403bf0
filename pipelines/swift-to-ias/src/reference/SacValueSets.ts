/**
 * The value sets of the target's safeguarding tables, after the Safeguarding Adults Collection (SAC): the decision on
 * a concern, the kind of enquiry, and the type, location, source and outcome of a risk. They are not CLD fields, and
 * no national list of them is shipped here: type and location of risk are the options of a council's adult concern
 * form, source of risk keeps only that form's three top-level groups, and risk outcome uses the SAC SG2 wording. The
 * decision and enquiry-type values are those of the target schema.
 */

export const valueSets = {
  sg_decision: ["S42 enquiry", "Other enquiry", "No enquiry"],
  sg_enquiry_type: ["S42", "Other"],
  sg_type_of_risk: [
    "Physical",
    "Sexual",
    "Psychological",
    "Financial and Material",
    "Discriminatory",
    "Organisational",
    "Neglect and Omission",
    "Domestic Abuse",
    "Sexual Exploitation",
    "Modern Slavery",
    "Self-Neglect"
  ],
  sg_location_of_risk: [
    "Own Home",
    "In the community (excluding community services)",
    "Community Service",
    "Care Home - residential",
    "Care Home - nursing",
    "Hospital - Acute",
    "Hospital - Mental Health",
    "Hospital - Community"
  ],
  sg_source_of_risk: ["Social Care Support or Service Provider", "Known to Individual", "Unknown to Individual"],
  sg_risk_outcome: ["Risk removed", "Risk reduced", "Risk remains"]
} as const

export type ValueSet = keyof typeof valueSets

/** Whether `value` is, exactly, one of the values of `set`. */
export const isValid = (set: ValueSet, value: string): boolean =>
  (valueSets[set] as ReadonlyArray<string>).includes(value)
