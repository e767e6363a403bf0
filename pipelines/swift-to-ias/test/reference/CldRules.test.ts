/**
 * The CLD validation rules on single event rows: a valid row of every event type passes, and each rule catches the
 * rows that break it and only those.
 */
import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as CldRules from "../../src/reference/CldRules.ts"

type Row = Record<string, string | null>

const person: Row = {
  LA_Code: "999",
  Reporting_Period_Start_Date: "2025-04-01",
  Reporting_Period_End_Date: "2026-03-31",
  NHS_Number: "9434765919",
  LA_Person_Unique_Identifier: "100234",
  Gender: "Female",
  Ethnicity: "White: Irish",
  Date_of_Birth: "1948-05-12",
  Client_Type: "Service user",
  Primary_Support_Reason: "Physical Support: Personal care support",
  Postcode: "LS1 4AB",
  Accommodation_Status: "Owner occupier or shared ownership scheme",
  Has_Unpaid_Carer: "Unknown",
  Client_Funding_Status: "Fully social care funded"
}

const request: Row = {
  ...person,
  Event_Type: "Request",
  Event_Start_Date: "2025-05-01",
  Event_End_Date: "2025-05-03",
  Event_Outcome: "Progress to assessment, review or reassessment",
  Request_Route_of_Access: "Community / Other route"
}

const assessment: Row = {
  ...person,
  Event_Type: "Assessment",
  Event_Start_Date: "2025-05-04",
  Event_End_Date: "2025-06-10",
  Event_Outcome: "Progress to support planning or services",
  Assessment_Type: "Long term assessment",
  Method_of_Assessment: "Face to face"
}

const service: Row = {
  ...person,
  Event_Type: "Service",
  Event_Start_Date: "2025-06-20",
  Event_Outcome: "Continuation of support or services",
  Service_Type: "Long term support: Community",
  Service_Component: "Home support or domiciliary care",
  Delivery_Mechanism: "CASSR commissioned support"
}

const review: Row = {
  ...person,
  Event_Type: "Review",
  Event_Start_Date: "2025-12-01",
  Event_End_Date: "2025-12-01",
  Event_Outcome: "Continuation of support or services",
  Review_Reason: "Planned",
  Review_Outcomes_Achieved: "Fully achieved",
  Method_of_Review: "Telephone"
}

const validate = (row: Row, options?: CldRules.Options) => CldRules.validate(row, options)

/** The (rule, field) pairs a row breaks. */
const broken = (row: Row, options?: CldRules.Options) => validate(row, options).map((v) => `${v.rule} ${v.field}`)

describe("CldRules", () => {
  it("reads every row of the rules file into a condition", () => {
    const fields = CldRules.rulesOfFields().map((r) => r.field)
    // every column but the names, which DHSC does not check
    assert.sameMembers(fields, CldRules.cldColumns.filter((c) => c !== "First_Name" && c !== "Last_Name"))
  })

  it("passes a valid row of every event type", () => {
    for (const row of [request, assessment, service, review]) assert.deepStrictEqual(broken(row), [], row["Event_Type"] ?? "")
  })

  it("passes a carer known by association with no event", () => {
    assert.deepStrictEqual(broken({ ...person, Client_Type: "Unpaid carer known by association", Client_Funding_Status: null }), [])
  })

  describe("mandatory", () => {
    it("wants the person's details on every row", () => {
      assert.deepStrictEqual(broken({ ...request, Gender: null }), ["mandatory Gender"])
      assert.deepStrictEqual(broken({ ...service, NHS_Number: "  " }), ["mandatory NHS_Number"])
      assert.deepStrictEqual(broken({ ...review, Postcode: "" }), ["mandatory Postcode"])
    })

    it("wants a support reason except on a request", () => {
      assert.deepStrictEqual(broken({ ...request, Primary_Support_Reason: null }), [])
      assert.deepStrictEqual(broken({ ...assessment, Primary_Support_Reason: null }), ["mandatory Primary_Support_Reason"])
    })

    it("wants the route of a request, the type and method of an assessment, but no method for a financial one", () => {
      assert.deepStrictEqual(broken({ ...request, Request_Route_of_Access: null }), ["mandatory Request_Route_of_Access"])
      assert.deepStrictEqual(broken({ ...assessment, Assessment_Type: null }), ["mandatory Assessment_Type"])
      assert.deepStrictEqual(broken({ ...assessment, Method_of_Assessment: null }), ["mandatory Method_of_Assessment"])
      const financial = { ...assessment, Assessment_Type: "Financial Assessment", Method_of_Assessment: null, Event_Outcome: null }
      assert.deepStrictEqual(broken(financial), [])
      assert.deepStrictEqual(broken({ ...request, Event_Outcome: null }), ["mandatory Event_Outcome"])
    })

    it("wants a service's type and component, and its costs only when the council does not commission it", () => {
      assert.deepStrictEqual(broken({ ...service, Service_Component: null }), ["mandatory Service_Component"])
      assert.deepStrictEqual(broken(service), [])
      const directPayment = { ...service, Delivery_Mechanism: "Direct payment", Service_Component: "Direct payment" }
      assert.deepStrictEqual(broken(directPayment), [
        "mandatory Unit_Cost",
        "mandatory Cost_Frequency_Unit_Type",
        "mandatory Planned_Units_Per_Week"
      ])
      const costed = { ...directPayment, Unit_Cost: "250.00", Cost_Frequency_Unit_Type: "Weekly", Planned_Units_Per_Week: "1" }
      assert.deepStrictEqual(broken(costed), [])
      const shortTerm = { ...directPayment, Service_Type: "Short term support: Ongoing low level", Service_Component: "Equipment" }
      assert.deepStrictEqual(broken(shortTerm), [])
    })

    it("wants the reason and method of a review, and the outcomes achieved of a planned one", () => {
      assert.deepStrictEqual(broken({ ...review, Method_of_Review: null }), ["mandatory Method_of_Review"])
      assert.deepStrictEqual(broken({ ...review, Review_Outcomes_Achieved: null }), ["mandatory Review_Outcomes_Achieved"])
      const shortTerm = { ...review, Review_Reason: "Review of short term support", Review_Outcomes_Achieved: null }
      assert.deepStrictEqual(broken(shortTerm), [])
    })

    it("wants a funding status on service and review rows of a service user", () => {
      assert.deepStrictEqual(broken({ ...service, Client_Funding_Status: null }), ["mandatory Client_Funding_Status"])
      assert.deepStrictEqual(broken({ ...request, Client_Funding_Status: null }), [])
    })

    it("wants the employment status of a working-age service user with a learning disability", () => {
      const learning = { ...assessment, Primary_Support_Reason: "Learning disability support", Date_of_Birth: "1990-07-01" }
      assert.deepStrictEqual(broken(learning), ["mandatory Employment_Status"])
      assert.deepStrictEqual(broken({ ...learning, Employment_Status: "Paid: 16 or more hours a week" }), [])
      assert.deepStrictEqual(broken({ ...learning, Date_of_Birth: "1950-07-01" }), [])
      assert.deepStrictEqual(broken({ ...learning, Client_Type: "Unpaid carer" }), [])
      // 64 on the last day of the period is still of working age; 65 is not
      assert.deepStrictEqual(broken({ ...learning, Date_of_Birth: "1961-04-01" }), ["mandatory Employment_Status"])
      assert.deepStrictEqual(broken({ ...learning, Date_of_Birth: "1961-03-31" }), [])
    })

    it("wants no event fields of a carer known by association", () => {
      const carer = { ...request, Client_Type: "Unpaid carer known by association", Client_Funding_Status: null }
      assert.deepStrictEqual(broken({ ...carer, Request_Route_of_Access: null, Event_Outcome: null }), [])
      // and the Release 1 wording of the client type is understood by the conditions, though not by the list
      const releaseOne = { ...carer, Client_Type: "Carer known by association", Request_Route_of_Access: null }
      assert.deepStrictEqual(broken(releaseOne), ["defined_list Client_Type"])
    })
  })

  describe("event_end_date", () => {
    it("lets only a service be open", () => {
      for (const row of [request, assessment, review]) {
        assert.deepStrictEqual(broken({ ...row, Event_End_Date: null }), ["event_end_date Event_End_Date"])
      }
      assert.deepStrictEqual(broken({ ...service, Event_End_Date: null }), [])
      const carer = { ...request, Client_Type: "Unpaid carer known by association", Event_End_Date: null }
      assert.deepStrictEqual(broken(carer), ["event_end_date Event_End_Date"])
    })

    it("wants the service of a person who has died to end", () => {
      const died = { ...service, Date_of_Death: "2026-01-15" }
      assert.deepStrictEqual(broken(died), ["event_end_date Event_End_Date"])
      assert.deepStrictEqual(broken({ ...died, Event_End_Date: "2026-01-15" }), [])
    })

    test.prop([
      fc.constantFrom(request, assessment, service, review, person),
      fc.option(fc.constantFrom("Request", "Assessment", "Service", "Review", "service", " Service", ""), { nil: undefined }),
      fc.option(fc.constantFrom("2026-01-15", "2025-06-19", "2027-01-01", "", "15/01/2026", "not a date"), { nil: null }),
      fc.option(fc.constantFrom("2025-07-01", "", "01/07/2025"), { nil: null }),
      fc.option(fc.constantFrom("Service user", "Unpaid carer known by association", "Unpaid carer"), { nil: undefined }),
      fc.option(fc.constantFrom("2026-03-31", "2025-12-31"), { nil: undefined })
    ])("alone, gives what validate gives for it", (base, eventType, death, end, clientType, periodEnd) => {
      const row: Row = {
        ...base,
        ...(eventType === undefined ? {} : { Event_Type: eventType }),
        Date_of_Death: death,
        Event_End_Date: end,
        ...(clientType === undefined ? {} : { Client_Type: clientType })
      }
      const options = periodEnd === undefined ? {} : { reportingPeriodEnd: periodEnd }
      assert.deepStrictEqual(CldRules.openEvent(row, options), validate(row, options).find((v) => v.rule === "event_end_date"))
    })
  })

  describe("defined_list", () => {
    it("checks every list field exactly, letter case and spaces included", () => {
      assert.deepStrictEqual(broken({ ...request, Gender: "female" }), ["defined_list Gender"])
      assert.deepStrictEqual(broken({ ...request, Gender: "Female " }), ["defined_list Gender"])
      assert.deepStrictEqual(broken({ ...service, Service_Type: "Long Term Support: Community" }), ["defined_list Service_Type"])
      assert.deepStrictEqual(broken({ ...request, Ethnicity: "White" }), ["defined_list Ethnicity"])
    })

    it("says when a value belongs to the other release, and what was meant", () => {
      const [violation] = validate({ ...request, Client_Type: "Service User" })
      assert.match(violation?.message ?? "", /R1/)
      assert.match(violation?.message ?? "", /"Service user"/)
    })

    it("checks against the release asked for", () => {
      const releaseOne = { ...request, Client_Type: "Service User" }
      assert.deepStrictEqual(broken(releaseOne, { release: "R1" }).filter((v) => v.endsWith("Client_Type")), [])
      assert.include(broken(releaseOne, { release: "R1" }), "defined_list Event_Outcome")
    })

    it("leaves fields with no public list unchecked", () => {
      assert.deepStrictEqual(broken({ ...assessment, Method_of_Assessment: "Carrier pigeon" }), [])
    })
  })

  describe("dates", () => {
    it("wants real days in either format", () => {
      assert.deepStrictEqual(broken({ ...request, Event_Start_Date: "01/05/2025", Event_End_Date: "03/05/2025" }), [])
      assert.deepStrictEqual(broken({ ...request, Date_of_Birth: "31/02/1948" }), ["date_format Date_of_Birth"])
      assert.deepStrictEqual(broken({ ...request, Event_End_Date: "2025-13-01" }), ["date_format Event_End_Date"])
      assert.deepStrictEqual(broken({ ...request, Event_Start_Date: "May 2025" }), ["date_format Event_Start_Date"])
    })

    it("wants an event to end on or after its start", () => {
      assert.deepStrictEqual(broken({ ...request, Event_End_Date: "2025-04-30" }), ["end_before_start Event_End_Date"])
      assert.deepStrictEqual(broken({ ...request, Event_End_Date: "2025-05-01" }), [])
      assert.deepStrictEqual(broken({ ...request, Event_End_Date: "30/04/2025" }), ["end_before_start Event_End_Date"])
    })

    it("wants no date after the end of the reporting period", () => {
      assert.deepStrictEqual(broken({ ...service, Event_Start_Date: "2026-04-01" }), ["future_date Event_Start_Date"])
      assert.deepStrictEqual(broken({ ...service, Event_Start_Date: "2026-03-31" }), [])
      assert.deepStrictEqual(broken({ ...request, Date_of_Birth: "2027-01-01" }), ["future_date Date_of_Birth"])
      assert.deepStrictEqual(
        broken({ ...review, Date_of_Death: "2026-06-01", Event_End_Date: "2026-06-01" }),
        ["future_date Date_of_Death", "future_date Event_End_Date"]
      )
      assert.deepStrictEqual(broken(review, { reportingPeriodEnd: "30/09/2025" }), [
        "future_date Event_Start_Date",
        "future_date Event_End_Date"
      ])
    })
  })

  describe("NHS number", () => {
    it("wants ten digits that pass the Modulus 11 check", () => {
      assert.deepStrictEqual(broken({ ...request, NHS_Number: "943 476 5919" }), ["nhs_number_format NHS_Number"])
      assert.deepStrictEqual(broken({ ...request, NHS_Number: "943476591" }), ["nhs_number_format NHS_Number"])
      assert.deepStrictEqual(broken({ ...request, NHS_Number: "94347659190" }), ["nhs_number_format NHS_Number"])
      assert.deepStrictEqual(broken({ ...request, NHS_Number: "9434765918" }), ["nhs_number_check_digit NHS_Number"])
      assert.deepStrictEqual(broken({ ...request, NHS_Number: "9990000018" }), [])
    })
  })

  describe("numbers", () => {
    it("wants costs and units that cast to numeric(18,2)", () => {
      const costed = {
        ...service,
        Delivery_Mechanism: "Direct payment",
        Service_Component: "Direct payment",
        Unit_Cost: "21.40",
        Cost_Frequency_Unit_Type: "Hourly",
        Planned_Units_Per_Week: "14.5"
      }
      assert.deepStrictEqual(broken(costed), [])
      assert.deepStrictEqual(broken({ ...costed, Unit_Cost: "£21.40" }), ["numeric_format Unit_Cost"])
      assert.deepStrictEqual(broken({ ...costed, Planned_Units_Per_Week: "14,5" }), ["numeric_format Planned_Units_Per_Week"])
      assert.deepStrictEqual(broken({ ...costed, Unit_Cost: "12345678901234567.00" }), ["numeric_format Unit_Cost"])
    })
  })
})
