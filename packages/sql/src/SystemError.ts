/**
 * Why the operating system refused a file or folder, in its own words (`not a directory`, `permission denied`,
 * `no space left on device`), for messages that already name the file or folder.
 */
import { statSync } from "node:fs"
import { getSystemErrorMessage } from "node:util"

const isFile = (path: string) => {
  try {
    return !statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** The operating system's reason for a failed file operation; any other error's own message. */
export const reason = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error)
  const { code, errno, syscall, path } = error as NodeJS.ErrnoException
  // a folder made where a file is: the system says the file exists, where it means the path is not a folder
  if (code === "EEXIST" && syscall === "mkdir" && path !== undefined && isFile(path)) return "not a directory"
  if (typeof errno === "number") {
    try {
      return getSystemErrorMessage(errno)
    } catch {
      // not a number the operating system knows: the message says what there is to say
    }
  }
  return error.message
}
