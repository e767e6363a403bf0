import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as Money from "../src/Money.ts"

describe("Money", () => {
  it("parses amounts as legacy systems write them", () => {
    assert.strictEqual(Money.parsePounds("1234.5"), 123450)
    assert.strictEqual(Money.parsePounds("£1,234.56"), 123456)
    assert.strictEqual(Money.parsePounds(" 0.10 "), 10)
    assert.strictEqual(Money.parsePounds("-12.00"), -1200)
  })

  it("refuses what is not money rather than guessing", () => {
    for (const text of ["", "TBC", "12.345", "1e3", "£", "12,50.0.1", "0x10"]) {
      assert.isTrue(Money.isError(Money.parsePounds(text)), text)
    }
  })

  it("adds up where binary floating point does not", () => {
    const a = Money.parsePounds("0.10") as number
    const b = Money.parsePounds("0.20") as number
    assert.strictEqual(Money.toPounds(a + b), "0.30")
  })

  test.prop([fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER })])(
    "pence to pounds and back is exact, for every safe amount",
    (pence) => {
      const pounds = Money.toPounds(pence)
      assert.match(pounds, /^-?\d+\.\d{2}$/)
      assert.strictEqual(Money.parsePounds(pounds), pence)
      assert.strictEqual(Money.fromPounds(pounds), pence)
    }
  )
})
