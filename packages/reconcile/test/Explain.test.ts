import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as Canonical from "../src/Canonical.ts"
import * as Explain from "../src/Explain.ts"
import * as Finding from "../src/Finding.ts"

describe("Explain", () => {
  it("names the known causes of a difference", () => {
    assert.strictEqual(Explain.explain("Smith", "Smith "), "whitespace")
    assert.strictEqual(Explain.explain("Smith", "SMITH"), "letter case")
    assert.strictEqual(Explain.explain("12.50", "12.5"), "precision")
    assert.strictEqual(Explain.explain(null, ""), "NULL versus empty text")
    assert.strictEqual(Explain.explain("1941-03-12", "1941-12-03"), "day and month swapped")
    assert.strictEqual(Explain.explain("2020-01-01", "2020-01-03"), "date shifted by 2 days")
    assert.strictEqual(Explain.explain("Zoë", "Zoe\u0308"), "encoding (Unicode normalisation)")
    assert.isNull(Explain.explain("Smith", "Jones"))
    assert.isNull(Explain.explain("same", "same"))
  })
})

describe("Canonical", () => {
  it("gives one text form to a value from a mapping and from a database", () => {
    assert.strictEqual(Canonical.value({ _tag: "decimal", precision: 12, scale: 2 }, "12.50"), Canonical.value({ _tag: "decimal", precision: 12, scale: 2 }, "12.5"))
    assert.strictEqual(Canonical.value({ _tag: "boolean" }, true), Canonical.value({ _tag: "boolean" }, "t"))
    assert.strictEqual(Canonical.value({ _tag: "decimal", precision: 12, scale: 2 }, "-0.00"), "0")
    assert.isNull(Canonical.value({ _tag: "text" }, null))
    assert.notStrictEqual(Canonical.value({ _tag: "text" }, ""), Canonical.value({ _tag: "text" }, null))
  })

  test.prop([fc.integer({ min: -10_000_000, max: 10_000_000 }), fc.integer({ min: 0, max: 4 })])(
    "a decimal written with any number of trailing zeros has one form",
    (cents, zeros) => {
      const text = (cents / 100).toFixed(2)
      const type = { _tag: "decimal", precision: 13, scale: 2 } as const
      assert.strictEqual(Canonical.value(type, text + "0".repeat(zeros)), Canonical.value(type, text))
    }
  )
})

describe("Finding", () => {
  test.prop([fc.string(), fc.string(), fc.option(fc.string(), { nil: null }), fc.option(fc.string(), { nil: null }), fc.option(fc.string(), { nil: null })])(
    "a fingerprint depends on entity, check, keys and field only, and tells different ones apart",
    (entity, check, legacyKey, targetKey, field) => {
      const f = Finding.make({ entity, check, legacyKey, targetKey, field, kind: "different", severity: "error", message: "m" })
      const g = { ...f, message: "other", severity: "warning" as const }
      assert.strictEqual(Finding.fingerprint(f), Finding.fingerprint(g))
      assert.notStrictEqual(Finding.fingerprint(f), Finding.fingerprint({ ...f, field: `${field ?? ""}x` }))
      assert.notStrictEqual(Finding.fingerprint({ ...f, entity: "a", check: "bc" }), Finding.fingerprint({ ...f, entity: "ab", check: "c" }))
    }
  )
})
