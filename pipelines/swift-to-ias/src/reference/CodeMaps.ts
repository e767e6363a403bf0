/**
 * The maps from the code values the legacy SWIFT estate holds to the values the target holds: CLD Release 2 defined
 * list values where CLD has the field, the safeguarding value sets otherwise. Each map is data, one row per legacy
 * value, with the rule that justifies it:
 *
 * - `exact`: the legacy value is already the target value;
 * - `case`: it differs from the target value only in letter case (often a Release 1 value that Release 2 recased);
 * - `synonym`: another wording of the same value (a Release 1 label, `' - '` for `': '`, `and` for `&`, a local suffix);
 * - `manual`: a local code whose meaning a person decided.
 *
 * A legacy value is normalised before it is looked up (trimmed, runs of white space made one space, letter case
 * ignored). Some known legacy values are deliberately left unmapped, each with the reason, because no target value
 * says the same thing: they are reported for a data owner to decide, never guessed.
 *
 * The same data tells the synthetic estate which values to write (`legacyValues`), so the estate and the map agree.
 */
import * as CldLists from "./CldLists.ts"
import * as SacValueSets from "./SacValueSets.ts"

export type Rule = "exact" | "case" | "synonym" | "manual"

/** The target value of a row that is deliberately not mapped, in `ref_code_map`, after DHSC's cleaned values. */
export const invalidAndNotMapped = "Invalid and not mapped"

/** Where the target values of a code system come from. */
export type Target =
  | { readonly _tag: "CldList"; readonly field: CldLists.ListField }
  | { readonly _tag: "CldUnlisted"; readonly field: CldLists.UnlistedField }
  | { readonly _tag: "Safeguarding"; readonly set: SacValueSets.ValueSet }

/** A row as written below: the rule is `synonym` or `manual`; `exact` and `case` are worked out from the letters. */
type Row = readonly [legacy: string, target: string, kind: "synonym" | "manual"]
type Unmapped = readonly [legacy: string, reason: string]

interface CodeSystemSpec {
  readonly target: Target
  /** The legacy column that holds the values, and its width in characters. */
  readonly legacyColumn: string
  readonly width: number
  readonly rows: ReadonlyArray<Row>
  readonly unmapped: ReadonlyArray<Unmapped>
}

const cld = (field: CldLists.ListField): Target => ({ _tag: "CldList", field })
const sac = (set: SacValueSets.ValueSet): Target => ({ _tag: "Safeguarding", set })
const manual = (rows: ReadonlyArray<readonly [string, string]>): ReadonlyArray<Row> =>
  rows.map(([legacy, target]) => [legacy, target, "manual"])

/**
 * The wordings of a label that legacy systems hold: itself, `' - '` for the first `': '`, and `' and '` for `' & '`
 * or the other way round. Wordings wider than the legacy column are left out: the estate cannot hold them.
 */
const wordings = (label: string, width: number): ReadonlyArray<string> => {
  const hyphen = label.replace(": ", " - ")
  const swapAnd = (s: string) => (s.includes(" & ") ? s.replaceAll(" & ", " and ") : s.replaceAll(" and ", " & "))
  return [...new Set([label, hyphen, swapAnd(label), swapAnd(hyphen)])].filter((w) => w.length <= width)
}

const labels = (rows: ReadonlyArray<readonly [string, string]>, width: number): ReadonlyArray<Row> =>
  rows.flatMap(([label, target]) => wordings(label, width).map((w): Row => [w, target, "synonym"]))

// ---------------------------------------------------------------------------------------------------------------
// Person details

const white = "White: English, Welsh, Scottish, Northern Irish or British"
const whiteOther = "White: Any other White background"
const gypsy = "White: Gypsy or Irish Traveller"
const mixedOther = "Mixed or multiple ethnic groups: Any other Mixed or multiple ethnic background"
const asianOther = "Asian or Asian British: Any other Asian background"
const african = "Black, Black British, Caribbean or African: African"
const blackOther = "Black, Black British, Caribbean or African: Any other Black, Black British or Caribbean background"
const otherGroup = "Other ethnic group: Any other ethnic group"

const physicalAccess = "Physical support: Access and mobility only"
const personalCare = "Physical Support: Personal care support"
const visual = "Sensory Support: Support for visual impairment"
const hearing = "Sensory Support: Support for hearing impairment"
const dual = "Sensory Support: Support for dual impairment"
const memory = "Support with memory and cognition"
const learning = "Learning disability support"
const mental = "Mental health support"
const substance = "Social support: Substance misuse support"
const asylum = "Social Support: Asylum seeker support"
const isolation = "Social support: Support for social isolation or other reason"
const toCarer = "Social support: Support to unpaid carer"

// ---------------------------------------------------------------------------------------------------------------
// Events

const toAssessment = "Progress to assessment, review or reassessment"
const toServices = "Progress to support planning or services"
const community = "Long term support: Community"
const commissioned = "CASSR commissioned support"
const notACldService =
  "an ancillary charge, not a CLD service row by itself: it is migrated as a chargeable line of its package"

const codeSystemSpecs = {
  gender: {
    target: cld("Gender"),
    legacyColumn: "lg_client.gender_code",
    width: 1,
    // 'I' (indeterminate) has no Release 2 value of its own: Release 1 'Other' is not on the Release 2 list, so it
    // takes 'Unknown', the default the mapping rules give for it
    rows: manual([["M", "Male"], ["F", "Female"], ["U", "Unknown"], ["I", "Unknown"]]),
    unmapped: []
  },
  ethnicity: {
    target: cld("Ethnicity"),
    legacyColumn: "lg_client.ethnic_code",
    width: 8,
    // the extended local codes of a London council's case system; its label for each code is in the comment
    rows: manual([
      ["A.A1", white], // British
      ["A.A3", white], // English
      ["A.A4", white], // Scottish
      ["A.A6", white], // Northern Irish
      ["A.A2", "White: Irish"],
      ["A.A14", gypsy], // Irish Traveller
      ["A.A15", gypsy], // Traveller
      ["A.A16", gypsy], // Gypsy / Romany
      ["A.A9", whiteOther], // Greek
      ["A.A10", whiteOther], // Greek Cypriot
      ["A.A11", whiteOther], // Turkish
      ["A.A12", whiteOther], // Turkish Cypriot
      ["A.A13", whiteOther], // Italian
      ["A.A17", whiteOther], // Polish
      ["A.A18", whiteOther], // Former USSR Republics
      ["A.A19", whiteOther], // Kosovan
      ["A.A20", whiteOther], // Albanian
      ["A.A21", whiteOther], // Bosnian
      ["A.A24", whiteOther], // Former Yugoslav Republics
      ["A.A25", whiteOther], // Mixed white
      ["A.A26", whiteOther], // Other white European
      ["A.A27", whiteOther], // Other white
      ["B.B1", "Mixed or multiple ethnic groups: White and Black Caribbean"],
      ["B.B2", "Mixed or multiple ethnic groups: White and Black African"],
      ["B.B3", "Mixed or multiple ethnic groups: White and Asian"],
      ["B.B4", mixedOther], // Black and Asian
      ["B.B5", mixedOther], // Black and Chinese
      ["B.B6", mixedOther], // Black and White
      ["B.B7", mixedOther], // Chinese and White
      ["B.B8", mixedOther], // Asian and Chinese
      ["B.B9", mixedOther], // Other mixed, mixed unspecified
      ["C.C1", "Asian or Asian British: Indian"],
      ["C.C2", "Asian or Asian British: Pakistani"],
      ["C.C3", "Asian or Asian British: Bangladeshi"],
      ["C.C4", asianOther], // Mixed Asian
      ["C.C5", asianOther], // Punjabi: Indian or Pakistani Punjab cannot be told apart
      ["C.C7", asianOther], // East African Asian
      ["C.C8", asianOther], // Sri Lankan
      ["C.C11", asianOther], // British Asian
      ["C.C12", asianOther], // Caribbean Asian
      ["C.C13", asianOther], // Other Asian, Asian unspecified
      ["D.D1", "Black, Black British, Caribbean or African: Caribbean"],
      ["D.D2", african], // African
      ["D.D3", african], // Somali
      ["D.D5", african], // Nigerian
      ["D.D8", african], // Ghanaian
      ["D.D4", blackOther], // Mixed Black
      ["D.D6", blackOther], // Black British
      ["D.D7", blackOther], // Other Black, Black unspecified
      ["E.E1", "Asian or Asian British: Chinese"], // Chinese, an Asian group since the 2011 census
      ["E.E2", otherGroup], // Vietnamese
      ["E.EX", "Other ethnic group: Arab"],
      ["E.E6", otherGroup], // Any other group
      ["", "No data: Undeclared or not known"] // nothing recorded
    ]),
    unmapped: [["A.J", "Jewish has no CLD ethnicity value of its own: the person is to be asked"]]
  },
  primary_support_reason: {
    target: cld("Primary_Support_Reason"),
    legacyColumn: "lg_client.psr_code",
    width: 60,
    rows: [
      ...manual([
        ["PS-AM", physicalAccess],
        ["PS-PC", personalCare],
        ["SENS-V", visual],
        ["SENS-H", hearing],
        ["SENS-D", dual],
        ["MEM", memory],
        ["LD", learning],
        ["MH", mental],
        ["SOC-SM", substance],
        ["SOC-AS", asylum],
        // social support with no detail is the list's own catch-all
        ["SOC", isolation],
        ["SOC-CAR", toCarer],
        ["UNK", "Unknown"]
      ]),
      // the Release 1 labels a legacy system most likely holds, the local wordings seen in case systems and the
      // Release 2 labels, each also with ' - ' for ': ' and 'and' for '&' (a wording met twice is one row)
      ...labels(
        [
          ["Physical Support: Access & mobility only", physicalAccess],
          [physicalAccess, physicalAccess],
          [personalCare, personalCare],
          ["Physical Support: Personal care and support", personalCare],
          [visual, visual],
          [hearing, hearing],
          [dual, dual],
          ["Support with Memory & Cognition", memory],
          [memory, memory],
          ["Learning Disability Support", learning],
          [learning, learning],
          ["Mental Health Support", mental],
          ["Mental Health Support (ASC)", mental],
          ["Mental Health Support (ELFT)", mental],
          ["Social Support: Substance misuse support", substance],
          [substance, substance],
          [asylum, asylum],
          ["Social Support: Support for Social Isolation/Other", isolation],
          [isolation, isolation],
          ["Social Support: Support to Carer", toCarer],
          [toCarer, toCarer],
          ["Unknown", "Unknown"]
        ],
        60
      )
    ],
    unmapped: [["SENS", "sensory support without the impairment: visual, hearing and dual cannot be told apart"]]
  },
  accommodation_status: {
    target: cld("Accommodation_Status"),
    legacyColumn: "lg_client.accommodation_code",
    width: 10,
    rows: manual([
      ["OWN", "Owner occupier or shared ownership scheme"],
      ["TEN-LA", "Tenant: Local authority or other social housing provider"],
      ["TEN-PRIV", "Tenant: Private landlord"],
      ["FAMILY", "Settled mainstream housing with family or friends"],
      ["SUPPORTED", "Supported accommodation, supported lodgings or supported group home"],
      ["SHL", "Shared Lives scheme"],
      ["APPROVED", "Approved premises for offenders released from prison or under probation supervision"],
      ["SHELTERED", "Sheltered housing, extra care housing or other sheltered housing"],
      ["TRAVELLER", "Mobile accommodation for Gypsy, Roma and Traveller communities"],
      ["ROUGH", "Rough sleeper or squatting"],
      ["HOSTEL", "Night shelter, emergency hostel or direct access hostel"],
      ["REFUGE", "Refuge"],
      ["TEMP-LA", "Placed in temporary accommodation by the council (inc. homelessness resettlement)"],
      ["GUEST", "Staying with family or friends as a short term guest"],
      ["HOSPITAL", "Acute hospital or long term healthcare residential facility"],
      ["CAREHOME", "Registered care home"],
      ["NURSHOME", "Registered nursing home"],
      ["PRISON", "Prison, young offenders institution or detention centre"],
      ["TEMP-OTH", "Other temporary accommodation"],
      ["UNK", "Unknown"]
    ]),
    unmapped: [
      ["HOMELESS", "a retired code: rough sleeping, a hostel and temporary accommodation are different CLD values"]
    ]
  },
  employment_status: {
    target: cld("Employment_Status"),
    legacyColumn: "lg_client.employment_code",
    width: 10,
    rows: manual([
      ["PAID-LT16", "Paid: Less than 16 hours a week"],
      ["PAID-16+", "Paid: 16 or more hours a week"],
      ["PAID-UNK", "Paid: Hours per week unknown"],
      ["SEEKING", "Not in paid employment: Seeking work"],
      ["NOT-SEEK", "Not in paid employment: Not actively seeking work or retired"],
      ["RETIRED", "Not in paid employment: Not actively seeking work or retired"],
      ["VOLUNTARY", "Not in paid employment: Voluntary work only"],
      ["UNK", "Unknown"]
    ]),
    unmapped: [["STUDENT", "full-time education has no CLD value: seeking work or not is not recorded"]]
  },
  request_route_of_access: {
    // no Release 2 list is public: the Release 1 values stand in (see CldLists), from a copy of the Release 1 guidance
    target: cld("Request_Route_of_Access"),
    legacyColumn: "lg_referral.route_code",
    width: 20,
    rows: manual([
      ["TRANSITION", "Planned Entry (Transition)"],
      ["HOSP-DISCH", "Discharge from Hospital"],
      ["HOSP-DIVERT", "Diversion from Hospital Services"],
      ["COMMUNITY", "Community / Other route"],
      // the guidance's default for a carer when the route is not captured
      ["CARER", "Community / Other route"],
      ["PRISON", "Prison"],
      ["SELF-FUNDER", "Self-Funder"],
      // a self-funder whose funds are depleted, a route the legacy screen offers separately
      ["SF-DEPLETED", "Self-Funder"],
      ["REABLE-DISCH", "Discharge from Reablement"],
      ["TRANSFER-LA", "Transfer from Other LA"]
    ]),
    unmapped: []
  },
  event_outcome: {
    target: cld("Event_Outcome"),
    legacyColumn: "lg_referral.outcome_code, lg_assessment.outcome_code, lg_review.outcome_code",
    width: 60,
    rows: manual([
      ["REABLE", "Progress to reablement/ST-Max"],
      ["ASSESS", toAssessment],
      ["REASSESS", toAssessment],
      ["REVIEW", toAssessment],
      ["SUPPORT-PLAN", toServices],
      ["SERVICES", toServices],
      ["NO-CHANGE", "Continuation of support or services"],
      ["HOSPITAL", "Admitted to hospital"],
      ["NFA-MOVED", "NFA: Responsibility moved to another local authority"],
      ["NFA-NHS", "NFA: Referral to NHS services or NHS funded social care"],
      ["NFA-SELF-FUND", "NFA: Self-funded client or under 12wk disregard"],
      ["NFA-INFO", "NFA: Information and advice or signposting"],
      ["NFA-INTERNAL", "NFA: Referral to other service within the local authority"],
      ["NFA-DECLINED", "NFA: Support declined"],
      ["NFA-DECEASED", "NFA: Deceased"],
      ["NFA-ENDED", "NFA: Support ended as planned"],
      ["NFA-ENDED-OTHER", "NFA: Support ended for other reason"],
      ["NFA-NO-SERVICE", "NFA: No services offered for other reason"],
      ["NFA-OTHER", "NFA: Other"]
    ]),
    unmapped: [
      [
        "END-OF-LIFE",
        "Release 1 'Progress to End of Life Care' has no Release 2 value (DHSC: Release 1 only, not mapped)"
      ],
      [
        "FIN-ASSESS",
        "Release 1 'Progress to financial assessment' has no Release 2 value (DHSC: Release 1 only, not mapped)"
      ]
    ]
  },
  assessment_type: {
    target: cld("Assessment_Type"),
    legacyColumn: "lg_assessment.assessment_type_code",
    width: 20,
    rows: manual([
      // a Care Act needs assessment decides long term support
      ["CARE ACT", "Long term assessment"],
      // reablement and occupational therapy assessments lead to short term support (reablement, equipment)
      ["REABLE", "Short term assessment"],
      ["OT", "Short term assessment"],
      // a Release 1 value: the Release 2 label of a financial assessment is not public, see CldLists
      ["FIN", "Financial Assessment"]
    ]),
    unmapped: [["CARER", "the Release 2 label of a carer's assessment is not public"]]
  },
  method_of_assessment: {
    // no public list: these labels are proposals, to be checked against the national specification
    target: { _tag: "CldUnlisted", field: "Method_of_Assessment" },
    legacyColumn: "lg_assessment.method_code",
    width: 20,
    rows: manual([
      ["F2F", "Face to face"],
      ["PHONE", "Telephone"],
      ["VIDEO", "Video call"],
      ["PAPER", "Paper or online self-assessment"],
      ["OTHER", "Other"]
    ]),
    unmapped: []
  },
  method_of_review: {
    // no public list: these labels are proposals, to be checked against the national specification
    target: { _tag: "CldUnlisted", field: "Method_of_Review" },
    legacyColumn: "lg_review.method_code",
    width: 20,
    rows: manual([
      ["F2F", "Face to face"],
      ["PHONE", "Telephone"],
      ["VIDEO", "Video call"],
      ["PAPER", "Paper or online self-review"],
      ["OTHER", "Other"]
    ]),
    unmapped: []
  },
  // The service classification: one legacy service code gives three CLD values. The mapping rules leave the
  // component of long-stay residential, long-stay nursing, reablement and direct payment to the national
  // specification, which is not public; the closest value on the Release 2 component list is used instead.
  service_type: {
    target: cld("Service_Type"),
    legacyColumn: "lg_service_catalogue.service_code",
    width: 12,
    rows: manual([
      ["HC-HR", community],
      ["RES-LT", "Long term support: Residential care"],
      ["NUR-LT", "Long term support: Nursing care"],
      ["RESP-RES", "Short term support: Other short term"],
      ["REABLE", "Short term support: ST-Max"],
      ["DP", community],
      ["SL", community],
      ["SHL", community],
      ["ECH", community],
      // day care is not in the mapping rules' table: a long term community service
      ["DAY", community],
      ["EQUIP", "Short term support: Ongoing low level"]
    ]),
    unmapped: [["TRANS", notACldService], ["MEALS", notACldService]]
  },
  service_component: {
    target: cld("Service_Component"),
    legacyColumn: "lg_service_catalogue.service_code",
    width: 12,
    rows: manual([
      ["HC-HR", "Home support or domiciliary care"],
      ["RES-LT", "Long term residential care"], // closest list value; the specification is not public
      ["NUR-LT", "Long term nursing care"], // closest list value; the specification is not public
      ["RESP-RES", "Short term residential care"],
      ["REABLE", "Reablement"], // closest list value; the specification is not public
      ["DP", "Direct payment"], // closest list value; the specification is not public
      ["SL", "Community supported living"],
      ["SHL", "Shared Lives"],
      ["ECH", "Extra care housing"],
      ["DAY", "Day support"],
      ["EQUIP", "Equipment"]
    ]),
    unmapped: [["TRANS", notACldService], ["MEALS", notACldService]]
  },
  delivery_mechanism: {
    target: cld("Delivery_Mechanism"),
    legacyColumn: "lg_service_catalogue.service_code",
    width: 12,
    rows: manual([
      ["HC-HR", commissioned],
      ["RES-LT", commissioned],
      ["NUR-LT", commissioned],
      ["RESP-RES", commissioned],
      ["REABLE", commissioned],
      ["DP", "Direct payment"],
      ["SL", commissioned],
      ["SHL", commissioned],
      ["ECH", commissioned],
      ["DAY", commissioned],
      ["EQUIP", commissioned]
    ]),
    unmapped: [["TRANS", notACldService], ["MEALS", notACldService]]
  },
  cost_frequency_unit_type: {
    // the CLD frequency whose DHSC units-per-week rule (cld/rules/cost_frequency_units_per_week_factors.csv) gives
    // the legacy basis its meaning: WEEK 1, FORTNIGHT 1/2, 4WEEK 1/4, MONTH 12/52, QUARTER 4/52, ANNUAL 1/52, and
    // planned units per week for the rest
    target: cld("Cost_Frequency_Unit_Type"),
    legacyColumn: "lg_package_line.rate_basis, lg_service_catalogue.unit_type",
    width: 10,
    rows: manual([
      ["WEEK", "Weekly"],
      ["FORTNIGHT", "Fortnightly"],
      ["4WEEK", "4-weekly"],
      ["MONTH", "Monthly"],
      ["QUARTER", "Quarterly"],
      ["ANNUAL", "Annually"],
      ["HOUR", "Hourly"],
      ["DAY", "Daily"],
      ["SESSION", "Per session"],
      // no per-night or per-journey frequency is on the list: a night is charged like a day, a journey like a session
      ["NIGHT", "Daily"],
      ["JOURNEY", "Per session"],
      ["ONEOFF", "One-off"]
    ]),
    unmapped: []
  },
  // Safeguarding (not CLD): the SAC value sets of SacValueSets
  sg_decision: {
    target: sac("sg_decision"),
    legacyColumn: "lg_sg_concern.decision_code",
    width: 10,
    rows: manual([
      ["S42", "S42 enquiry"],
      ["OTHER", "Other enquiry"],
      ["NFA", "No enquiry"],
      // information and advice given: the concern did not lead to an enquiry
      ["INFO", "No enquiry"]
    ]),
    unmapped: []
  },
  sg_enquiry_type: {
    target: sac("sg_enquiry_type"),
    legacyColumn: "lg_sg_enquiry.enquiry_type",
    width: 6,
    rows: manual([["S42", "S42"], ["OTHER", "Other"]]),
    unmapped: []
  },
  sg_type_of_risk: {
    target: sac("sg_type_of_risk"),
    legacyColumn: "lg_sg_risk.type_of_risk",
    width: 40,
    rows: [
      ...manual([
        ["PHYS", "Physical"],
        ["SEX", "Sexual"],
        ["PSYCH", "Psychological"],
        ["FIN", "Financial and Material"],
        ["DISC", "Discriminatory"],
        ["ORG", "Organisational"],
        ["NEG", "Neglect and Omission"],
        ["DOM", "Domestic Abuse"],
        ["SEXEXP", "Sexual Exploitation"],
        ["SLAVERY", "Modern Slavery"],
        ["SELFNEG", "Self-Neglect"]
      ]),
      // the names in use before the Care Act 2014
      ["Institutional", "Organisational", "synonym"],
      ["Financial", "Financial and Material", "synonym"],
      ["Neglect", "Neglect and Omission", "synonym"]
    ],
    unmapped: []
  },
  sg_location_of_risk: {
    target: sac("sg_location_of_risk"),
    legacyColumn: "lg_sg_risk.location_of_risk",
    width: 60,
    rows: manual([
      ["OWN-HOME", "Own Home"],
      ["COMMUNITY", "In the community (excluding community services)"],
      ["COMM-SERVICE", "Community Service"],
      ["CH-RES", "Care Home - residential"],
      ["CH-NURS", "Care Home - nursing"],
      ["HOSP-ACUTE", "Hospital - Acute"],
      ["HOSP-MH", "Hospital - Mental Health"],
      ["HOSP-COMM", "Hospital - Community"]
    ]),
    unmapped: []
  },
  sg_source_of_risk: {
    target: sac("sg_source_of_risk"),
    legacyColumn: "lg_sg_risk.source_of_risk",
    width: 80,
    rows: manual([
      ["PROVIDER", "Social Care Support or Service Provider"],
      ["KNOWN", "Known to Individual"],
      ["UNKNOWN", "Unknown to Individual"]
    ]),
    unmapped: []
  },
  sg_risk_outcome: {
    target: sac("sg_risk_outcome"),
    legacyColumn: "lg_sg_risk.risk_outcome",
    width: 20,
    rows: manual([["REMOVED", "Risk removed"], ["REDUCED", "Risk reduced"], ["REMAINS", "Risk remains"]]),
    unmapped: []
  }
} satisfies Record<string, CodeSystemSpec>

export type CodeSystem = keyof typeof codeSystemSpecs

export const codeSystems = Object.keys(codeSystemSpecs) as ReadonlyArray<CodeSystem>

export const isCodeSystem = (name: string): name is CodeSystem => Object.hasOwn(codeSystemSpecs, name)

/** A row of the target table `ref_code_map(code_system, legacy_value, target_code, rule)`. */
export interface RefCodeMapRow {
  readonly code_system: CodeSystem
  readonly legacy_value: string
  readonly target_code: string
  readonly rule: Rule
}

export const refCodeMapColumns = ["code_system", "legacy_value", "target_code", "rule"] as const

/** Trims a legacy value and makes every run of white space one space. */
export const normalise = (legacyValue: string | null | undefined): string =>
  (legacyValue ?? "").trim().replace(/\s+/g, " ")

const keyOf = (legacyValue: string | null | undefined): string => normalise(legacyValue).toLowerCase()

const ruleOf = (legacy: string, target: string, kind: "synonym" | "manual"): Rule =>
  legacy === target ? "exact" : legacy.toLowerCase() === target.toLowerCase() ? "case" : kind

interface Compiled {
  readonly mapped: ReadonlyMap<string, RefCodeMapRow>
  readonly unmapped: ReadonlyMap<string, { readonly legacy: string; readonly reason: string }>
  readonly legacyValues: ReadonlyArray<string>
}

/** Indexes a code system by normalised legacy value; two rows that normalise alike are an error in the data. */
const compile = (codeSystem: CodeSystem): Compiled => {
  const spec: CodeSystemSpec = codeSystemSpecs[codeSystem]
  const mapped = new Map<string, RefCodeMapRow>()
  const unmapped = new Map<string, { readonly legacy: string; readonly reason: string }>()
  const claim = (legacy: string) => {
    if (normalise(legacy) !== legacy) {
      throw new Error(`${codeSystem}: legacy value ${JSON.stringify(legacy)} is not normalised`)
    }
    if (mapped.has(keyOf(legacy)) || unmapped.has(keyOf(legacy))) {
      throw new Error(`${codeSystem}: legacy value ${JSON.stringify(legacy)} is given twice`)
    }
  }
  for (const [legacy, target, kind] of spec.rows) {
    const known = mapped.get(keyOf(legacy))
    // the wordings of two labels may coincide: the same value to the same target is one row
    if (known !== undefined && known.target_code === target) continue
    claim(legacy)
    const rule = ruleOf(legacy, target, kind)
    mapped.set(keyOf(legacy), { code_system: codeSystem, legacy_value: legacy, target_code: target, rule })
  }
  for (const [legacy, reason] of spec.unmapped) {
    claim(legacy)
    unmapped.set(keyOf(legacy), { legacy, reason })
  }
  return {
    mapped,
    unmapped,
    legacyValues: [...[...mapped.values()].map((r) => r.legacy_value), ...[...unmapped.values()].map((u) => u.legacy)]
  }
}

const compiled = new Map<CodeSystem, Compiled>()

const compiledOf = (codeSystem: CodeSystem): Compiled => {
  let c = compiled.get(codeSystem)
  if (c === undefined) {
    c = compile(codeSystem)
    compiled.set(codeSystem, c)
  }
  return c
}

/** Where the target values of a code system come from. */
export const targetOf = (codeSystem: CodeSystem): Target => codeSystemSpecs[codeSystem].target

/** The legacy column(s) a code system's values are read from, and the width of the column. */
export const legacyColumnOf = (codeSystem: CodeSystem): { readonly column: string; readonly width: number } => ({
  column: codeSystemSpecs[codeSystem].legacyColumn,
  width: codeSystemSpecs[codeSystem].width
})

export type Lookup =
  | { readonly _tag: "Mapped"; readonly code: string; readonly rule: Rule }
  | {
    readonly _tag: "Unmapped"
    readonly normalised: string
    /** Why a known legacy value is deliberately not mapped; absent for a value the map does not know. */
    readonly reason?: string
  }

/**
 * The target value of a legacy value. The rule of a value matched through an `exact` or `case` row is worked out
 * again for the value as written: `LEARNING DISABILITY SUPPORT`, found through the `Learning disability support` row,
 * is `case`.
 */
export const lookup = (codeSystem: CodeSystem, legacyValue: string | null | undefined): Lookup => {
  const c = compiledOf(codeSystem)
  const normalised = normalise(legacyValue)
  const row = c.mapped.get(normalised.toLowerCase())
  if (row !== undefined) {
    const rule = row.rule === "exact" || row.rule === "case" ? ruleOf(normalised, row.target_code, "synonym") : row.rule
    return { _tag: "Mapped", code: row.target_code, rule }
  }
  const known = c.unmapped.get(normalised.toLowerCase())
  return known === undefined ? { _tag: "Unmapped", normalised } : { _tag: "Unmapped", normalised, reason: known.reason }
}

/**
 * Every legacy value of a code system as the synthetic estate may write it: the mapped ones, then the ones
 * deliberately left unmapped. Defects (case, spacing, unknown codes) are the estate's to add.
 */
export const legacyValues = (codeSystem: CodeSystem): ReadonlyArray<string> => compiledOf(codeSystem).legacyValues

/** The legacy values of a code system deliberately left unmapped, with the reason for each. */
export const unmappedValues = (
  codeSystem: CodeSystem
): ReadonlyArray<{ readonly legacy: string; readonly reason: string }> => [...compiledOf(codeSystem).unmapped.values()]

/**
 * The values a legacy value of a code system may be mapped to, for a data owner who maps one the code maps do not
 * know: the CLD list's values (Release 1), the safeguarding value set, or, for a CLD field with no public list, the
 * values the code map already maps to. Undefined for a name that is no code system.
 */
export const targetValues = (codeSystem: string): ReadonlyArray<string> | undefined => {
  if (!isCodeSystem(codeSystem)) return undefined
  const target = targetOf(codeSystem)
  switch (target._tag) {
    case "CldList":
      return [...new Set(CldLists.accepted(target.field, "R1").map((v) => v.value))]
    case "Safeguarding":
      return SacValueSets.valueSets[target.set]
    case "CldUnlisted":
      return [...new Set(mappedRows(codeSystem).map((r) => r.target_code))].sort()
  }
}

/** The mapped rows of a code system. */
export const mappedRows = (codeSystem: CodeSystem): ReadonlyArray<RefCodeMapRow> => [
  ...compiledOf(codeSystem).mapped.values()
]

/**
 * The rows of `ref_code_map`: every mapped row, and every deliberately unmapped value with the target
 * `Invalid and not mapped` and the rule `manual`, so the table records the decision as well as the map.
 */
export const rowsForRefCodeMap = (): ReadonlyArray<RefCodeMapRow> =>
  codeSystems.flatMap((codeSystem) => [
    ...mappedRows(codeSystem),
    ...unmappedValues(codeSystem).map((u): RefCodeMapRow => ({
      code_system: codeSystem,
      legacy_value: u.legacy,
      target_code: invalidAndNotMapped,
      rule: "manual"
    }))
  ])
