/** Errors of the batch worker's core. */

/**
 * The file as a whole cannot be scored: not the declared format, empty, too large, a record without an end. The
 * batch fails with this message; retrying cannot help, so the worker does not.
 */
export class FileFormatError extends Error {
  override readonly name = "FileFormatError";
}

/**
 * The input object is not the upload the batch pinned (a second PUT to the upload URL): reading on would mix two
 * files. A FileFormatError, because it fails the batch the same way and retrying cannot help.
 */
export class InputChangedError extends FileFormatError {
  constructor(detail: string) {
    super(`the input changed during scoring (${detail}); upload to a new batch`);
  }
}
