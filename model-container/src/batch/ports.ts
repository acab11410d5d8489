/** What the batch use cases need from the outside: the bucket and the worker's queue (adapters beside them). */
import type { InputPin, RangeMessage } from "@sml/contracts/batches";

/** An object being written in order; nothing is visible under its key until `complete`. */
export interface ObjectWriter {
  write(data: string | Uint8Array): Promise<void>;
  complete(): Promise<void>;
  abort(): Promise<void>;
}

/** An object as one HEAD saw it. */
export interface ObjectVersion extends InputPin {
  readonly size: number;
}

export interface BatchObjects {
  /** The object's size and identity; with `pin`, throws InputChangedError unless it is still that upload. */
  head(key: string, pin?: Partial<InputPin>): Promise<ObjectVersion>;
  /**
   * Bytes [start, end) of the object, streamed; with `pin`, of that upload only (If-Match, and the version when
   * known), else InputChangedError.
   */
  read(key: string, start: number, end: number, pin?: InputPin): AsyncIterable<Uint8Array>;
  writer(key: string, contentType: string): ObjectWriter;
  /** A PUT URL for exactly `bytes` bytes of `contentType` (both signed: S3 refuses any other upload). */
  presignPut(key: string, contentType: string, bytes: number, seconds: number): Promise<string>;
  /**
   * A GET URL; with `downloadAs`, S3 answers it with `Content-Disposition: attachment; filename="<downloadAs>"`
   * (the signed response-content-disposition parameter), so a browser saves the file instead of rendering it.
   */
  presignGet(key: string, seconds: number, downloadAs?: string): Promise<string>;
}

export interface RangeQueue {
  send(messages: readonly RangeMessage[]): Promise<void>;
}
