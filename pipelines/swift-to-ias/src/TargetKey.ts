/**
 * Target keys: UUID-shaped text derived from the entity and the legacy key, so that every rehearsal of the same
 * estate gives every record the same key, and a re-run or a resume can never load it twice.
 */
import { createHash } from "node:crypto"

export const of = (entity: string, legacyKey: string | number): string => {
  const hex = createHash("sha256").update(`${entity}\u0000${legacyKey}`).digest("hex")
  // version 8 (custom) and the RFC variant bits, so the text is a well-formed UUID
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${
    hex.slice(17, 20)
  }-${hex.slice(20, 32)}`
}
