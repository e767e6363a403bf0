/**
 * Arrays of any length, however many rows they hold. Spreading an array into a call — `out.push(...rows)`,
 * `Math.max(...values)` — passes every item as an argument on the stack, and past about 100,000 items the call fails
 * with `RangeError: Maximum call stack size exceeded`: a migration of a large estate would stop there. These do the
 * same work one item at a time, in constant stack, for an array of any length.
 */

/** Adds every item of `items` to the end of `target`, in order: what `target.push(...items)` does, for any length. */
export const appendAll = <A>(target: Array<A>, items: ReadonlyArray<A>): void => {
  for (let i = 0; i < items.length; i++) target.push(items[i]!)
}

/**
 * The largest of the numbers, as `Math.max(...values)` gives it, for any length: `-Infinity` for none, `NaN` if any
 * is `NaN`.
 */
export const max = (values: ReadonlyArray<number>): number => values.reduce((m, v) => Math.max(m, v), -Infinity)

/**
 * The smallest of the numbers, as `Math.min(...values)` gives it, for any length: `Infinity` for none, `NaN` if any
 * is `NaN`.
 */
export const min = (values: ReadonlyArray<number>): number => values.reduce((m, v) => Math.min(m, v), Infinity)
