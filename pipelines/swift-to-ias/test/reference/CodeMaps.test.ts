/**
 * The legacy-to-target code maps: every target value is one the target accepts, lookups normalise the legacy value,
 * deliberately unmapped values stay unmapped, and the values the estate may write are the values the map knows.
 */
import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as CldLists from "../../src/reference/CldLists.ts"
import * as Codes from "../../src/Codes.ts"
import * as CodeMaps from "../../src/reference/CodeMaps.ts"
import * as SacValueSets from "../../src/reference/SacValueSets.ts"

const mapped = (codeSystem: CodeMaps.CodeSystem, legacy: string | null) => {
  const result = CodeMaps.lookup(codeSystem, legacy)
  if (result._tag !== "Mapped") assert.fail(`${codeSystem} ${JSON.stringify(legacy)} is not mapped`)
  return result
}

describe("CodeMaps", () => {
  it("maps only to values the target accepts", () => {
    for (const codeSystem of CodeMaps.codeSystems) {
      const target = CodeMaps.targetOf(codeSystem)
      for (const row of CodeMaps.mappedRows(codeSystem)) {
        const label = `${codeSystem}: ${row.legacy_value} -> ${row.target_code}`
        switch (target._tag) {
          case "CldList":
            assert.isTrue(CldLists.isValid(target.field, row.target_code, "R2"), label)
            break
          case "Safeguarding":
            assert.isTrue(SacValueSets.isValid(target.set, row.target_code), label)
            break
          case "CldUnlisted":
            // no public list to check against: the field must really be one without a list
            assert.property(CldLists.fieldsWithoutPublicList, target.field, label)
            break
        }
      }
    }
  })

  it("checks against a public list wherever one exists", () => {
    const unlisted = CodeMaps.codeSystems.filter((c) => CodeMaps.targetOf(c)._tag === "CldUnlisted")
    assert.deepStrictEqual(unlisted, ["method_of_assessment", "method_of_review"])
  })

  it("maps legacy gender letters", () => {
    assert.deepStrictEqual(mapped("gender", "M"), { _tag: "Mapped", code: "Male", rule: "manual" })
    assert.strictEqual(mapped("gender", "f").code, "Female")
    assert.strictEqual(mapped("gender", " U ").code, "Unknown")
    assert.strictEqual(mapped("gender", "I").code, "Unknown")
    assert.deepStrictEqual(CodeMaps.lookup("gender", "X"), { _tag: "Unmapped", normalised: "X" })
  })

  it("maps the extended ethnicity codes, blank to undeclared, and leaves A.J for a person to decide", () => {
    assert.strictEqual(mapped("ethnicity", "A.A1").code, "White: English, Welsh, Scottish, Northern Irish or British")
    assert.strictEqual(mapped("ethnicity", "a.a2").code, "White: Irish")
    assert.strictEqual(mapped("ethnicity", "A.A16").code, "White: Gypsy or Irish Traveller")
    assert.strictEqual(mapped("ethnicity", "B.B7").code, "Mixed or multiple ethnic groups: Any other Mixed or multiple ethnic background")
    assert.strictEqual(mapped("ethnicity", "E.E1").code, "Asian or Asian British: Chinese")
    assert.strictEqual(mapped("ethnicity", "D.D3").code, "Black, Black British, Caribbean or African: African")
    assert.strictEqual(mapped("ethnicity", "E.EX").code, "Other ethnic group: Arab")
    assert.strictEqual(mapped("ethnicity", "E.E2").code, "Other ethnic group: Any other ethnic group")
    assert.strictEqual(mapped("ethnicity", "").code, "No data: Undeclared or not known")
    assert.strictEqual(mapped("ethnicity", null).code, "No data: Undeclared or not known")
    assert.strictEqual(mapped("ethnicity", "   ").code, "No data: Undeclared or not known")
    const jewish = CodeMaps.lookup("ethnicity", " A.J ")
    assert.strictEqual(jewish._tag, "Unmapped")
    assert.strictEqual(jewish._tag === "Unmapped" ? jewish.normalised : "", "A.J")
    assert.match(jewish._tag === "Unmapped" ? jewish.reason ?? "" : "", /no CLD ethnicity/)
    assert.deepStrictEqual(CodeMaps.lookup("ethnicity", "Z.Z9"), { _tag: "Unmapped", normalised: "Z.Z9" })
  })

  it("maps support reasons by local code and by any wording of the label", () => {
    assert.deepStrictEqual(mapped("primary_support_reason", "PS-PC"), {
      _tag: "Mapped",
      code: "Physical Support: Personal care support",
      rule: "manual"
    })
    assert.strictEqual(mapped("primary_support_reason", "ps-am").code, "Physical support: Access and mobility only")
    assert.deepStrictEqual(mapped("primary_support_reason", "Physical Support - Personal care support"), {
      _tag: "Mapped",
      code: "Physical Support: Personal care support",
      rule: "synonym"
    })
    assert.strictEqual(mapped("primary_support_reason", "Physical Support - Access & mobility only").code, "Physical support: Access and mobility only")
    assert.strictEqual(mapped("primary_support_reason", "Physical support - access and mobility only").code, "Physical support: Access and mobility only")
    assert.deepStrictEqual(mapped("primary_support_reason", "Support with Memory and Cognition"), {
      _tag: "Mapped",
      code: "Support with memory and cognition",
      rule: "case"
    })
    assert.strictEqual(mapped("primary_support_reason", "Support with Memory & Cognition").rule, "synonym")
    assert.deepStrictEqual(mapped("primary_support_reason", "Learning Disability Support  "), {
      _tag: "Mapped",
      code: "Learning disability support",
      rule: "case"
    })
    assert.deepStrictEqual(mapped("primary_support_reason", "Learning disability  support"), {
      _tag: "Mapped",
      code: "Learning disability support",
      rule: "exact"
    })
    assert.deepStrictEqual(mapped("primary_support_reason", "Mental Health Support (ASC)"), {
      _tag: "Mapped",
      code: "Mental health support",
      rule: "synonym"
    })
    assert.strictEqual(mapped("primary_support_reason", "Mental Health Support (ELFT)").code, "Mental health support")
    assert.strictEqual(mapped("primary_support_reason", "Social Support: Support to Carer").code, "Social support: Support to unpaid carer")
    assert.strictEqual(mapped("primary_support_reason", "SOC").code, "Social support: Support for social isolation or other reason")
    assert.deepStrictEqual(mapped("primary_support_reason", "Unknown"), { _tag: "Mapped", code: "Unknown", rule: "exact" })
    assert.strictEqual(CodeMaps.lookup("primary_support_reason", "SENS")._tag, "Unmapped")
    assert.strictEqual(CodeMaps.lookup("primary_support_reason", "Physical Support")._tag, "Unmapped")
  })

  it("classifies legacy services into a service type, component and delivery mechanism", () => {
    const triple = (code: string) => [
      mapped("service_type", code).code,
      mapped("service_component", code).code,
      mapped("delivery_mechanism", code).code
    ]
    assert.deepStrictEqual(triple("HC-HR"), ["Long term support: Community", "Home support or domiciliary care", "CASSR commissioned support"])
    assert.deepStrictEqual(triple("RES-LT"), ["Long term support: Residential care", "Long term residential care", "CASSR commissioned support"])
    assert.deepStrictEqual(triple("NUR-LT"), ["Long term support: Nursing care", "Long term nursing care", "CASSR commissioned support"])
    assert.deepStrictEqual(triple("RESP-RES"), ["Short term support: Other short term", "Short term residential care", "CASSR commissioned support"])
    assert.deepStrictEqual(triple("REABLE"), ["Short term support: ST-Max", "Reablement", "CASSR commissioned support"])
    assert.deepStrictEqual(triple("DP"), ["Long term support: Community", "Direct payment", "Direct payment"])
    assert.deepStrictEqual(triple("SL"), ["Long term support: Community", "Community supported living", "CASSR commissioned support"])
    assert.deepStrictEqual(triple("SHL"), ["Long term support: Community", "Shared Lives", "CASSR commissioned support"])
    assert.deepStrictEqual(triple("ECH"), ["Long term support: Community", "Extra care housing", "CASSR commissioned support"])
    assert.deepStrictEqual(triple("EQUIP"), ["Short term support: Ongoing low level", "Equipment", "CASSR commissioned support"])
    for (const system of ["service_type", "service_component", "delivery_mechanism"] as const) {
      for (const code of ["TRANS", "MEALS"]) assert.strictEqual(CodeMaps.lookup(system, code)._tag, "Unmapped", code)
      // one classification: the three maps know the same service codes
      assert.deepStrictEqual(CodeMaps.legacyValues(system), CodeMaps.legacyValues("service_type"))
    }
  })

  it("maps events, safeguarding and cost frequencies", () => {
    assert.strictEqual(mapped("event_outcome", "nfa-deceased").code, "NFA: Deceased")
    assert.strictEqual(CodeMaps.lookup("event_outcome", "END-OF-LIFE")._tag, "Unmapped")
    assert.strictEqual(mapped("assessment_type", "care act").code, "Long term assessment")
    assert.strictEqual(mapped("assessment_type", "FIN").code, "Financial Assessment")
    assert.strictEqual(mapped("request_route_of_access", "HOSP-DISCH").code, "Discharge from Hospital")
    assert.strictEqual(mapped("sg_decision", "S42").code, "S42 enquiry")
    assert.strictEqual(mapped("sg_enquiry_type", "other").code, "Other")
    assert.deepStrictEqual(mapped("sg_type_of_risk", "institutional"), { _tag: "Mapped", code: "Organisational", rule: "synonym" })
    assert.strictEqual(mapped("cost_frequency_unit_type", "4WEEK").code, "4-weekly")
    assert.strictEqual(mapped("cost_frequency_unit_type", "oneoff").code, "One-off")
  })

  it("states the rule each row follows truthfully", () => {
    for (const row of CodeMaps.rowsForRefCodeMap()) {
      const label = `${row.code_system}: ${row.legacy_value} -> ${row.target_code} (${row.rule})`
      const sameLetters = row.legacy_value.toLowerCase() === row.target_code.toLowerCase()
      if (row.rule === "exact") assert.strictEqual(row.legacy_value, row.target_code, label)
      else if (row.rule === "case") assert.isTrue(sameLetters && row.legacy_value !== row.target_code, label)
      else assert.isFalse(sameLetters, label)
    }
  })

  it("gives the rows of ref_code_map: one per code system and legacy value, unmapped decisions included", () => {
    const rows = CodeMaps.rowsForRefCodeMap()
    const keys = rows.map((r) => `${r.code_system}\u0000${r.legacy_value.toLowerCase()}`)
    assert.strictEqual(new Set(keys).size, keys.length)
    assert.deepInclude(rows, { code_system: "ethnicity", legacy_value: "A.J", target_code: CodeMaps.invalidAndNotMapped, rule: "manual" })
    assert.deepInclude(rows, { code_system: "gender", legacy_value: "I", target_code: "Unknown", rule: "manual" })
    for (const codeSystem of CodeMaps.codeSystems) {
      const own = rows.filter((r) => r.code_system === codeSystem)
      assert.deepStrictEqual(own.map((r) => r.legacy_value), [...CodeMaps.legacyValues(codeSystem)], codeSystem)
    }
  })

  it("writes legacy values the legacy columns can hold, and the map knows every one of them", () => {
    for (const codeSystem of CodeMaps.codeSystems) {
      const { width } = CodeMaps.legacyColumnOf(codeSystem)
      const unmapped = new Set(CodeMaps.unmappedValues(codeSystem).map((u) => u.legacy))
      assert.isAbove(CodeMaps.legacyValues(codeSystem).length, 0, codeSystem)
      for (const legacy of CodeMaps.legacyValues(codeSystem)) {
        assert.isAtMost(legacy.length, width, `${codeSystem} ${legacy}`)
        const result = CodeMaps.lookup(codeSystem, legacy)
        assert.strictEqual(result._tag, unmapped.has(legacy) ? "Unmapped" : "Mapped", `${codeSystem} ${legacy}`)
      }
    }
  })

  const known = CodeMaps.codeSystems.flatMap((c) => CodeMaps.legacyValues(c).map((v) => [c, v] as const))

  test.prop([
    fc.constantFrom(...known),
    fc.array(fc.boolean(), { maxLength: 80 }),
    fc.constantFrom("", " ", "  ", "\t"),
    fc.constantFrom("", " ", "   ")
  ])(
    "ignores letter case, padding and runs of spaces in the legacy value",
    ([codeSystem, legacy], flips, before, after) => {
      const recased = [...legacy].map((ch, i) => (flips[i] === true ? ch.toUpperCase() : ch.toLowerCase())).join("")
      const spaced = `${before}${recased.replaceAll(" ", "  ")}${after}`
      const plain = CodeMaps.lookup(codeSystem, legacy)
      const varied = CodeMaps.lookup(codeSystem, spaced)
      assert.strictEqual(varied._tag, plain._tag)
      if (plain._tag === "Mapped" && varied._tag === "Mapped") {
        assert.strictEqual(varied.code, plain.code)
        if (plain.rule === "manual" || plain.rule === "synonym") assert.strictEqual(varied.rule, plain.rule)
        else assert.strictEqual(varied.rule, recased === plain.code ? "exact" : "case")
      }
      if (varied._tag === "Unmapped") assert.strictEqual(varied.normalised, recased)
    }
  )
})

describe("Codes.map with the council's code map", () => {
  const rule = { id: "PER-09", description: "a code map's rule" }
  const systems = CodeMaps.codeSystems.filter((c) => CodeMaps.legacyValues(c).length > 0)

  test.prop([
    fc.constantFrom(...systems).chain((system) =>
      fc.tuple(
        fc.constant(system),
        fc.oneof(
          fc.constantFrom(...CodeMaps.legacyValues(system)),
          fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() !== "")
        ),
        fc.option(fc.constantFrom(...(CodeMaps.targetValues(system) ?? ["x"])), { nil: undefined })
      )
    )
  ])("the shipped map wins where it maps; the council's decides every other value, deliberate gaps included", ([system, value, council]) => {
    const looked = CodeMaps.lookup(system, value)
    const result = Codes.map({ councilCode: (s, v) => (s === system && v === value ? council : undefined) }, system, value, "a_code", rule)
    if (looked._tag === "Mapped") {
      assert.strictEqual(result.code, looked.code)
      assert.deepStrictEqual(result.flags, [])
    } else if (council !== undefined) {
      assert.strictEqual(result.code, council)
      assert.deepStrictEqual(result.flags, [])
      assert.isUndefined(result.unmapped)
    } else {
      assert.isNull(result.code)
      assert.deepStrictEqual(result.flags.map((f) => f.severity), ["error"])
      assert.deepStrictEqual(result.unmapped, { codeSystem: system, value })
      assert.strictEqual(result.deliberate, looked.reason)
    }
  })

  it("a value left unmapped on purpose is mapped by the council's decision", () => {
    const [system, gap] = systems.flatMap((s) => CodeMaps.unmappedValues(s).map((u) => [s, u.legacy] as const))[0]!
    const value = CodeMaps.targetValues(system)![0]!
    assert.strictEqual(Codes.map({ councilCode: () => value }, system, gap, "a_code", rule).code, value)
  })
})
