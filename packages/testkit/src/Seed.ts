/**
 * The seeds of every random choice the tests make — fast-check's properties, the crash suite's kill points, the
 * dropped connections, the concurrent commands, the server restarts — derive from one: `HANDOVER_SEED`, a whole
 * number, or `random` for a new one on each run (printed, so a failure can be repeated); fixed when unset, so a green
 * run covers the same cases every time. A suite's own variable (`HANDOVER_CRASH_SEED`…) overrides it for that suite.
 */

/** The seed when `HANDOVER_SEED` is unset. */
export const fixed = 20261206

const parse = (text: string | undefined, name: string): number | undefined => {
  if (text === undefined || text.trim() === "") return undefined
  if (text.trim() === "random") return Math.floor(Math.random() * 2 ** 31)
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new Error(`${name} must be a whole number or "random", not ${JSON.stringify(text)}`)
  return n
}

/**
 * The one seed, `random` resolved once and written back, so that the processes a run starts (test workers, child
 * commands) all see the same number.
 */
export const base = (): number => {
  const chosen = parse(process.env.HANDOVER_SEED, "HANDOVER_SEED") ?? fixed
  process.env.HANDOVER_SEED = String(chosen)
  return chosen
}

/** A 31-bit FNV-1a hash, to give each suite a seed of its own from the one seed. */
const hash = (text: string): number => {
  let h = 0x811c9dc5
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193)
  return (h >>> 0) & 0x7fffffff
}

/**
 * The seed of one suite: its own variable (`HANDOVER_<NAME>_SEED`) when set, else one derived from the one seed and
 * the suite's name.
 */
export const of = (name: string): number => {
  const own = `HANDOVER_${name.toUpperCase()}_SEED`
  return parse(process.env[own], own) ?? (hash(`${base()}:${name}`) % 2 ** 31)
}

/** How to repeat a suite's choices, for failure messages: `HANDOVER_CRASH_SEED=123 (from HANDOVER_SEED=20261206)`. */
export const repeat = (name: string): string => {
  const own = `HANDOVER_${name.toUpperCase()}_SEED`
  return process.env[own] !== undefined ? `${own}=${of(name)}` : `${own}=${of(name)} (from HANDOVER_SEED=${base()})`
}
