/**
 * Every mapping rule of the SWIFT migration, by stable id. Findings, flags, exclusions and quarantine entries name
 * these ids; an id is never reused for a different rule.
 */
import type { Pipeline } from "@handover/core"

const rule = (id: string, description: string): Pipeline.MappingRule => ({ id, description })

export const provider = {
  cqc: rule("PRV-01", "A care home or nursing home carries a CQC location id of the form 1-123456789; a missing or malformed one is flagged"),
  category: rule("PRV-02", "The legacy provider type maps to a provider category; an unknown type is quarantined"),
  postcode: rule("PRV-03", "The provider's postcode is normalised; an invalid one is flagged and left empty"),
  predecessor: rule("PRV-04", "A provider that took over another's contracts keeps a link to its predecessor")
}

export const person = {
  nhsMissing: rule("PER-01", "A client without an NHS number is migrated under the council's id and flagged"),
  nhsInvalid: rule("PER-02", "An NHS number is ten digits passing the Modulus 11 check after spaces and hyphens go; an invalid one is left out and flagged"),
  duplicate: rule("PER-03", "Clients with the same valid NHS number become one person: later records merge into the first"),
  merged: rule("PER-04", "A client that SWIFT itself recorded as merged into another joins that client's person"),
  dob: rule("PER-05", "The date of birth is read from every format the estate holds, with its accuracy; a dummy date is left empty and flagged; an unreadable one is quarantined"),
  dobAge: rule("PER-06", "A date of birth giving an age over 115 at cut-over is left empty and flagged"),
  dod: rule("PER-07", "The date of death is read like the date of birth; it cannot be before the date of birth"),
  gender: rule("PER-08", "Gender codes map to the CLD list through the code map; an unmapped code is flagged and left empty"),
  ethnicity: rule("PER-09", "Ethnic codes map to the CLD Release 2 list through the code map; an unmapped code is flagged and left empty"),
  supportReason: rule("PER-10", "The primary support reason maps to the CLD list after its separators and spacing are normalised; an unmapped one is flagged"),
  accommodation: rule("PER-11", "Accommodation status maps to the CLD list; an unmapped code is flagged"),
  employment: rule("PER-12", "Employment status maps to the CLD list; an unmapped code is flagged"),
  testClient: rule("PER-13", "Test clients (category TEST) are not migrated"),
  conflicting: rule("PER-14", "Merged records that disagree on gender or date of birth are flagged for the data owner; the first record's values stand"),
  likelyDuplicate: rule("PER-15", "Clients without an NHS number who share a surname sound, a postcode and a date of birth (or its day and month swapped) go to the review queue; they are never merged automatically"),
  twoDigitYear: rule("PER-16", "A date written with a two-digit year is read in the century before cut-over and flagged"),
  cldRequired: rule("PER-17", "A person missing a detail the CLD return requires of everyone (gender, ethnicity, date of birth, support reason, accommodation) is flagged")
}

export const address = {
  client: rule("ADR-01", "An address follows its client: an address of a client who was not migrated is quarantined"),
  postcode: rule("ADR-02", "Postcodes are upper-cased with one space before the inward code; invalid ones are flagged and left empty, ZZ99 pseudo-postcodes are kept and flagged"),
  uprn: rule("ADR-03", "A UPRN is one to twelve digits; anything else is flagged and left empty"),
  dates: rule("ADR-04", "An address's dates are read like other dates; an address cannot end before it starts")
}

export const relationship = {
  client: rule("REL-01", "A relationship follows its client; one of a client who was not migrated is quarantined"),
  related: rule("REL-02", "A related client is linked to their person record when they were migrated"),
  carerLink: rule("REL-03", "A carer link should point at a person who receives services; one that does not is flagged"),
  dates: rule("REL-04", "A relationship's dates are read like other dates")
}

export const request = {
  client: rule("REQ-01", "A referral follows its client; one of a client who was not migrated is quarantined"),
  received: rule("REQ-02", "A referral has a readable received date, not after cut-over; otherwise it is quarantined"),
  open: rule("REQ-03", "A referral with no closing date or outcome is migrated as an open request, flagged: it cannot be a CLD request until closed"),
  route: rule("REQ-04", "The route of access maps to the CLD list; an unmapped one is flagged"),
  outcome: rule("REQ-05", "The outcome maps to the CLD event outcome list; an unmapped one is flagged"),
  order: rule("REQ-06", "A referral cannot close before it was received")
}

export const assessment = {
  client: rule("ASM-01", "An assessment follows its client; one of a client who was not migrated is quarantined"),
  dates: rule("ASM-02", "An assessment has a readable start date; an assessment cannot end before it starts"),
  beforeBirth: rule("ASM-03", "An assessment cannot start before the client was born; such an assessment is quarantined"),
  type: rule("ASM-04", "Assessment type, method and outcome map to the CLD lists; unmapped values are flagged"),
  open: rule("ASM-05", "An assessment with no completion date is migrated open and flagged: it cannot be a CLD event until completed")
}

export const review = {
  client: rule("REV-01", "A review follows its client; one of a client who was not migrated is quarantined"),
  date: rule("REV-02", "A review has a readable date; otherwise it is quarantined"),
  codes: rule("REV-03", "Review outcome and method map to the CLD lists; unmapped values are flagged"),
  reason: rule("REV-04", "A planned review has the CLD reason Planned; an unplanned review has no published Release 2 reason yet, so it is left empty and flagged")
}

export const carePlan = {
  client: rule("PKG-01", "A care package follows its client; one of a client who was not migrated is quarantined"),
  cancelled: rule("PKG-02", "Cancelled packages were never delivered and are not migrated"),
  authorisation: rule("PKG-03", "An authorised package names who authorised it; one that does not is flagged"),
  keyTeam: rule("PKG-04", "An open package has a key team and a cost centre; one without is flagged"),
  dates: rule("PKG-05", "A package's dates are read like other dates; it cannot end before it starts")
}

export const service = {
  carePlan: rule("SVC-01", "A package line follows its package; a line of a package that was not migrated is quarantined"),
  classification: rule("SVC-02", "The legacy service code maps to a CLD service type, component and delivery mechanism; an unmapped code is quarantined"),
  provider: rule("SVC-03", "A line's provider must have been migrated; a line naming an unknown provider is quarantined"),
  dates: rule("SVC-04", "A line starts on a readable date and cannot end before it starts"),
  deceased: rule("SVC-05", "A service still open after its client's death is ended at the date of death and flagged"),
  weeklyCost: rule("SVC-06", "The gross weekly cost is recomputed from rate, units and rate basis; a stored cost that differs by more than a penny is flagged"),
  negative: rule("SVC-07", "Negative units or rates are made positive and flagged; a zero-cost active line is flagged"),
  rateBasis: rule("SVC-08", "The rate basis maps to a CLD cost frequency; an unknown basis is quarantined"),
  elementKind: rule("SVC-09", "The legacy element type gives the kind of line (core, additional need, FNC, top-up, one-off)"),
  cancelled: rule("SVC-10", "Lines of cancelled packages are not migrated")
}

export const finance = {
  faClient: rule("FIN-01", "A financial assessment follows its client; one of a client who was not migrated is quarantined"),
  faDates: rule("FIN-02", "A financial assessment's dates are read like other dates"),
  contributionClient: rule("FIN-03", "A contribution follows its client; one of a client who was not migrated is quarantined"),
  contributionAmount: rule("FIN-04", "A weekly contribution is an unambiguous amount: 1,234.50 and (12.00) are read, 1.234,50 and 12,50 are quarantined"),
  contributionWithoutFa: rule("FIN-05", "A contribution rests on a financial assessment; one without is migrated and flagged"),
  invoiceProvider: rule("FIN-06", "A provider invoice follows its provider; one of an unknown provider is quarantined"),
  invoiceLine: rule("FIN-07", "A provider invoice line follows its invoice and its package line; a line pointing at neither is quarantined"),
  debtorInvoice: rule("FIN-08", "A client invoice follows its debtor; one of a client who was not migrated is quarantined"),
  debtorAmount: rule("FIN-09", "A client invoice amount is an unambiguous amount of money; anything else is quarantined"),
  receipt: rule("FIN-10", "A receipt allocated to an invoice follows it; an unallocated receipt is migrated unallocated and flagged"),
  tripClient: rule("FIN-11", "A transport trip follows its client; one of a client who was not migrated is quarantined"),
  tripNotOccurred: rule("FIN-12", "A trip that did not happen is not charged: it is excluded (and listed for refund when a charge was made)"),
  dates: rule("FIN-13", "Finance dates are read like other dates")
}

export const safeguarding = {
  concernClient: rule("SG-01", "A safeguarding concern follows its client; one of a client who was not migrated is quarantined"),
  decision: rule("SG-02", "The concern's decision maps to S42 enquiry, other enquiry or no enquiry; an unknown one is flagged"),
  enquiryConcern: rule("SG-03", "A safeguarding enquiry needs its concern; one without is quarantined"),
  enquiryDates: rule("SG-04", "An enquiry cannot conclude before it starts; one that does is quarantined"),
  riskEnquiry: rule("SG-05", "A risk follows its enquiry; one of an enquiry that was not migrated is quarantined"),
  riskCodes: rule("SG-06", "Risk type, location, source and outcome map to the safeguarding lists; unmapped values are flagged"),
  dates: rule("SG-07", "Safeguarding dates are read like other dates")
}
