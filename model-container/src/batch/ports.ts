/** What the batch use cases need from the outside: the bucket and the worker's queue (adapters beside them). */
import type { RangeMessage } from "@sml/contracts/batches";

/** An object being written in order; nothing is visible under its key until `complete`. */
export interface ObjectWriter {
  write(data: string | Uint8Array): Promise<void>;
  complete(): Promise<void>;
  abort(): Promise<void>;
}

export interface BatchObjects {
  size(key: string): Promise<number>;
  /** Bytes [start, end) of the object, streamed. */
  read(key: string, start: number, end: number): AsyncIterable<Uint8Array>;
  writer(key: string, contentType: string): ObjectWriter;
  /** A PUT URL for exactly `bytes` bytes of `contentType` (both signed: S3 refuses any other upload). */
  presignPut(key: string, contentType: string, bytes: number, seconds: number): Promise<string>;
  presignGet(key: string, seconds: number): Promise<string>;
}

export interface RangeQueue {
  send(messages: readonly RangeMessage[]): Promise<void>;
}
