/**
 * Target keys: UUID-shaped text derived from the entity and the legacy key, so that every rehearsal of the same
 * estate gives every record the same key, and a re-run or a resume can never load it twice.
 */
import { hash } from "node:crypto"

export const of = (entity: string, legacyKey: string | number): string => {
  // the one-shot digest: the same SHA-256 as a Hash object's, without making one for every key
  const hex = hash("sha256", `${entity}\u0000${legacyKey}`, "hex")
  // version 8 (custom) and the RFC variant bits, so the text is a well-formed UUID
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${
    hex.slice(17, 20)
  }-${hex.slice(20, 32)}`
}
