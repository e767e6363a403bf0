/**
 * Arrays of any length: `appendAll`, `max` and `min` give what `push(...items)`, `Math.max(...values)` and
 * `Math.min(...values)` give, and go on giving it at a million items, where the spread forms fail on this Node.
 */
import { assert, describe, it } from "@effect/vitest"
import { fc, test } from "@fast-check/vitest"
import * as Arrays from "../src/Arrays.ts"

/** Numbers of every awkward kind: NaN, both zeros, both infinities. */
const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(Number.NaN, -0, 0, Infinity, -Infinity))

const million = 1_000_000

describe("Arrays", () => {
  test.prop([fc.array(fc.anything(), { maxLength: 50 }), fc.array(fc.anything(), { maxLength: 50 })])(
    "appendAll adds the items to the end, in order, as push with a spread does",
    (before, items) => {
      const spread = [...before]
      spread.push(...items)
      const appended = [...before]
      assert.strictEqual(Arrays.appendAll(appended, items), undefined)
      assert.strictEqual(appended.length, spread.length)
      appended.forEach((item, i) => assert.isTrue(Object.is(item, spread[i]), `item ${i}`))
    }
  )

  test.prop([fc.array(number, { maxLength: 50 })])("max and min are Math.max and Math.min of the values", (values) => {
    assert.isTrue(Object.is(Arrays.max(values), Math.max(...values)), `max of ${values.join(", ")}`)
    assert.isTrue(Object.is(Arrays.min(values), Math.min(...values)), `min of ${values.join(", ")}`)
  })

  it("handle a million items, where spreading them into a call overflows the stack", () => {
    const items = Array.from({ length: million }, (_, i) => i)
    // the spread forms really do fail at this size here: without that, what follows would prove nothing
    assert.throws(() => [].push(...(items as Array<never>)), RangeError)
    assert.throws(() => Math.max(...items), RangeError)
    assert.throws(() => Math.min(...items), RangeError)

    const target = [-2, -1]
    Arrays.appendAll(target, items)
    assert.strictEqual(target.length, million + 2)
    assert.strictEqual(target[0], -2)
    assert.strictEqual(target[2], 0)
    assert.strictEqual(target[target.length - 1], million - 1)
    assert.isTrue(target.every((v, i) => v === i - 2))
    assert.strictEqual(Arrays.max(items), million - 1)
    assert.strictEqual(Arrays.min(items), 0)
    assert.strictEqual(Arrays.max(target), million - 1)
    assert.strictEqual(Arrays.min(target), -2)
  })

  it("give what the spread forms give for no items", () => {
    const target = [1]
    Arrays.appendAll(target, [])
    assert.deepStrictEqual(target, [1])
    assert.strictEqual(Arrays.max([]), -Infinity)
    assert.strictEqual(Arrays.min([]), Infinity)
  })
})
