/**
 * Per-entity counts and the conservation law: every legacy row read is loaded, merged, quarantined or excluded.
 */

export interface Counts {
  readonly read: number
  readonly loaded: number
  readonly merged: number
  readonly quarantined: number
  readonly excluded: number
}

export const zero: Counts = { read: 0, loaded: 0, merged: 0, quarantined: 0, excluded: 0 }

export const add = (a: Counts, b: Counts): Counts => ({
  read: a.read + b.read,
  loaded: a.loaded + b.loaded,
  merged: a.merged + b.merged,
  quarantined: a.quarantined + b.quarantined,
  excluded: a.excluded + b.excluded
})

export const accounted = (c: Counts): number => c.loaded + c.merged + c.quarantined + c.excluded

export const holds = (c: Counts): boolean => c.read === accounted(c)

export const format = (c: Counts): string =>
  `read ${c.read} = loaded ${c.loaded} + merged ${c.merged} + quarantined ${c.quarantined} + excluded ${c.excluded}`
