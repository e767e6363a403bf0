/**
 * The code version a run records: `HANDOVER_CODE_VERSION` when set (a release build sets it), otherwise the package
 * version and the commit of the working copy, with `+changes` when it has uncommitted edits.
 */
import { execFileSync } from "node:child_process"

const git = (args: ReadonlyArray<string>): string | undefined => {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5_000 }).trim()
  } catch {
    return undefined
  }
}

export const current = (packageVersion: string): string => {
  const fromEnv = process.env.HANDOVER_CODE_VERSION
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv
  const commit = git(["rev-parse", "--short=12", "HEAD"])
  if (commit === undefined) return packageVersion
  const dirty = (git(["status", "--porcelain", "--untracked-files=no"]) ?? "") !== ""
  return `${packageVersion}+${commit}${dirty ? "+changes" : ""}`
}
