/**
 * The record check's comparison of a mapped value with a database's text: the short cut of equal text never says
 * "equal" where the comparable forms differ, and values that print alike compare alike.
 */
import { describe, expect, it } from "@effect/vitest"
import { Table } from "@handover/sql"
import * as fc from "fast-check"
import * as Canonical from "../src/Canonical.ts"

const types = [Table.text(20), Table.int, Table.bigint, Table.decimal(12, 2), Table.date, Table.timestamp, Table.boolean]

/** Mapped values of every kind a mapping gives, and texts near them: numbers, decimals, dates, booleans, padding. */
const mapped = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }),
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
  fc.constantFrom("12.50", "12.5", "012.5", "2024-02-29", "2024-2-29", "t", "f", "true", "1", "0", " 7", "7", "", "x")
)
const text = fc.oneof(
  fc.constant(null),
  mapped.map((v) => (v === null ? null : typeof v === "boolean" ? (v ? "t" : "f") : String(v))),
  fc.string({ maxLength: 6 })
)

describe("comparing a mapped value with a database's text", () => {
  it("equal text means equal comparable forms, for every column type", () => {
    fc.assert(fc.property(fc.constantFrom(...types), mapped, text, (type, v, t) => {
      if (Canonical.sameText(v, t)) expect(Canonical.value(type, v)).toBe(Canonical.value(type, t))
    }))
  })

  it("a value and the text it prints as are the same text; empty only matches empty", () => {
    fc.assert(fc.property(mapped, (v) => {
      expect(Canonical.sameText(v, v === null ? null : typeof v === "boolean" ? (v ? "t" : "f") : String(v))).toBe(true)
      expect(Canonical.sameText(v, v === null ? "" : null)).toBe(false)
    }))
  })

  it("text that differs still compares by the column's form: 12.5 and 12.50 are one decimal, two texts", () => {
    expect(Canonical.sameText("12.50", "12.5")).toBe(false)
    expect(Canonical.value(Table.decimal(12, 2), "12.50")).toBe(Canonical.value(Table.decimal(12, 2), "12.5"))
    expect(Canonical.sameText(true, "true")).toBe(false)
    expect(Canonical.value(Table.boolean, true)).toBe(Canonical.value(Table.boolean, "true"))
  })
})
