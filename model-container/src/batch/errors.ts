/** Errors of the batch worker's core. */

/**
 * The file as a whole cannot be scored: not the declared format, empty, too large, a record without an end. The
 * batch fails with this message; retrying cannot help, so the worker does not.
 */
export class FileFormatError extends Error {
  override readonly name = "FileFormatError";
}
