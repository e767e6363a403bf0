/**
 * The CLD defined lists as read from the shipped CSV files: Release 2 values, stand-ins where a list is missing or
 * partial, exact and case-sensitive membership, and the rows of `ref_code`.
 */
import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import { readdirSync } from "node:fs"
import * as CldLists from "../../src/reference/CldLists.ts"

const values = (field: CldLists.ListField, release: CldLists.Release) =>
  CldLists.accepted(field, release).map((v) => v.value)

describe("CldLists", () => {
  it("has one CSV file for every list field and a list field for every CSV file", () => {
    const files = readdirSync(new URL("../../src/reference/cld/lists/", import.meta.url))
      .filter((f) => f.endsWith(".csv"))
      .map((f) => f.slice(0, -".csv".length))
      .sort()
    assert.deepStrictEqual(files, [...CldLists.listFields].sort())
    for (const field of CldLists.listFields) assert.isAbove(CldLists.sourceValues(field).length, 0, field)
  })

  it("gives the Release 2 values of a field, in the letters of Release 2", () => {
    assert.deepStrictEqual(values("Gender", "R2"), ["Male", "Female", "Unknown"])
    assert.deepStrictEqual(values("Client_Type", "R2"), ["Service user", "Unpaid carer", "Unpaid carer known by association"])
    assert.deepStrictEqual(values("Delivery_Mechanism", "R2"), [
      "Direct payment",
      "CASSR managed personal budget",
      "CASSR commissioned support"
    ])
    assert.lengthOf(values("Event_Outcome", "R2"), 16)
    assert.lengthOf(values("Ethnicity", "R2"), 21)
    assert.lengthOf(values("Accommodation_Status", "R2"), 20)
    for (const v of CldLists.accepted("Ethnicity", "R2")) {
      assert.strictEqual(v.source, "R2")
      assert.isUndefined(v.standIn)
    }
  })

  it("is case-sensitive: a Release 1 value that Release 2 recased is not a Release 2 value", () => {
    assert.isTrue(CldLists.isValid("Client_Type", "Service user", "R2"))
    assert.isFalse(CldLists.isValid("Client_Type", "Service User", "R2"))
    assert.isTrue(CldLists.isValid("Client_Type", "Service User", "R1"))
    assert.isFalse(CldLists.isValid("Gender", "male", "R2"))
    assert.isFalse(CldLists.isValid("Gender", "Male ", "R2"))
    assert.isFalse(CldLists.isValid("Service_Type", "Long Term Support: Community", "R2"))
    assert.isTrue(CldLists.isValid("Service_Type", "Long term support: Community", "R2"))
    assert.deepStrictEqual(CldLists.releasesOf("Service_Type", "Long Term Support: Community"), ["V5", "R1"])
  })

  it("never accepts a V5 value or a variant spelling, and no value for the wrong release", () => {
    assert.isFalse(CldLists.isValid("Event_Outcome", "Admitted to Hospital", "R1"))
    assert.isFalse(CldLists.isValid("Event_Outcome", "Progress to financial assessment ", "R1"))
    assert.isTrue(CldLists.isValid("Event_Outcome", "Progress to financial assessment", "R1"))
    assert.isFalse(CldLists.isValid("Event_Outcome", "Progress to financial assessment", "R2"))
    assert.isFalse(CldLists.isValid("Event_Outcome", "Progress to Re-assessment/Unplanned Review", "R1"))
    assert.isFalse(CldLists.isValid("Gender", "Other", "R2"))
    assert.isTrue(CldLists.isValid("Gender", "Other", "R1"))
  })

  it("lets the Release 1 values stand in where no Release 2 list was found, and says so", () => {
    const routes = CldLists.accepted("Request_Route_of_Access", "R2")
    assert.includeMembers(routes.map((v) => v.value), ["Community / Other route", "Discharge from Hospital"])
    for (const v of routes) {
      assert.strictEqual(v.source, "R1")
      assert.match(v.standIn ?? "", /no R2 list/)
    }
    // and the other way round: the impairment lists are Release 2 only
    assert.isTrue(CldLists.isValid("Visual_Impairment", "No visual impairment", "R1"))
    const frequencies = CldLists.accepted("Cost_Frequency_Unit_Type", "R2")
    assert.include(frequencies.map((v) => v.value), "Weekly")
    for (const v of frequencies) assert.strictEqual(v.source, "unstated")
  })

  it("carries the Release 1 values a partial Release 2 list lacks, and only those", () => {
    assert.isTrue(CldLists.isValid("Has_Unpaid_Carer", "Yes", "R2"))
    assert.isTrue(CldLists.isValid("Has_Unpaid_Carer", "Unknown", "R2"))
    assert.isTrue(CldLists.isValid("Assessment_Type", "Financial Assessment", "R2"))
    assert.isTrue(CldLists.isValid("Assessment_Type", "Long term assessment", "R2"))
    const carried = CldLists.accepted("Has_Unpaid_Carer", "R2").filter((v) => v.standIn !== undefined)
    assert.deepStrictEqual(carried.map((v) => v.value), ["Yes", "No"])
    // a complete list carries nothing
    assert.isTrue(CldLists.accepted("Primary_Support_Reason", "R2").every((v) => v.standIn === undefined))
    assert.isFalse(CldLists.isValid("Primary_Support_Reason", "Learning Disability Support", "R2"))
  })

  it("names the fields no public list covers, none of which is a list field", () => {
    for (const field of Object.keys(CldLists.fieldsWithoutPublicList)) {
      assert.isFalse(CldLists.isListField(field), field)
    }
    assert.isTrue(CldLists.isListField("Ethnicity"))
    assert.isFalse(CldLists.isListField("ethnicity"))
  })

  it("gives the rows of ref_code: one per code system, code and release, as isValid accepts them", () => {
    const rows = CldLists.rowsForRefCode()
    const keys = rows.map((r) => `${r.code_system}\u0000${r.code}\u0000${r.release}`)
    assert.strictEqual(new Set(keys).size, keys.length)
    for (const r of rows) {
      assert.include(["R1", "R2"], r.release)
      assert.include(["high", "medium", "low"], r.confidence)
      assert.strictEqual(r.code, r.code.trim())
    }
    for (const field of CldLists.listFields) {
      for (const release of ["R1", "R2"] as const) {
        const codes = rows
          .filter((r) => r.code_system === CldLists.codeSystemOf(field) && r.release === release)
          .map((r) => r.code)
        assert.deepStrictEqual(codes, values(field, release), `${field} ${release}`)
      }
    }
    assert.deepInclude(rows, { code_system: "gender", code: "Male", release: "R2", grouped: null, confidence: "high" })
    assert.deepInclude(rows, {
      code_system: "ethnicity",
      code: "White: Roma",
      release: "R2",
      grouped: "White",
      confidence: "medium"
    })
    // a stand-in is listed under the release it stands in for, with low confidence
    assert.deepInclude(rows, {
      code_system: "assessment_type",
      code: "Financial Assessment",
      release: "R2",
      grouped: null,
      confidence: "low"
    })
  })

  const acceptedR2 = CldLists.listFields.flatMap((field) =>
    CldLists.accepted(field, "R2").map((v) => [field, v.value] as const)
  )

  test.prop([fc.constantFrom(...acceptedR2), fc.constantFrom("upper", "lower", "pad")])(
    "any change of letters or spacing to an accepted value is rejected, unless that too is a value",
    ([field, value], change) => {
      const changed = change === "upper" ? value.toUpperCase() : change === "lower" ? value.toLowerCase() : ` ${value}`
      assert.isTrue(CldLists.isValid(field, value, "R2"))
      const onList = CldLists.accepted(field, "R2").some((v) => v.value === changed)
      assert.strictEqual(CldLists.isValid(field, changed, "R2"), onList)
      if (change === "pad") assert.isFalse(onList)
    }
  )
})
