/** The API on the page's own origin (CloudFront forwards the API paths; no CORS), with the session's token. */
import type { BatchFormat, BatchPage, BatchResponse, CreateBatchResponse } from "@sml/contracts/batches";
import type { ModelsResponse } from "@sml/contracts/predict";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface Api {
  models(): Promise<ModelsResponse>;
  /** `bytes`: the file's size; the presigned upload URL signs it, so S3 takes exactly that many bytes. */
  createBatch(format: BatchFormat, bytes: number, model?: string): Promise<CreateBatchResponse>;
  batch(id: string): Promise<BatchResponse>;
  batches(params: { scope: "mine" | "all"; cursor?: string; limit?: number }): Promise<BatchPage>;
}

export function createApi(token: () => string, onUnauthorized: () => void): Api {
  const call = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const res = await fetch(path, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token()}` },
    });
    const text = await res.text();
    if (res.status === 401) onUnauthorized();
    if (!res.ok) {
      let message = `${res.status} ${res.statusText}`;
      try {
        const body = JSON.parse(text) as { error?: { message?: string }; message?: string };
        message = body.error?.message ?? body.message ?? message;
      } catch {
        // Not JSON: the status says it.
      }
      throw new ApiError(message, res.status);
    }
    return JSON.parse(text) as T;
  };
  return {
    models: () => call("/models"),
    createBatch: (format, bytes, model) =>
      call("/batches", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(model ? { format, bytes, model } : { format, bytes }),
      }),
    batch: (id) => call(`/batches/${encodeURIComponent(id)}`),
    batches: ({ scope, cursor, limit = 20 }) => {
      const query = new URLSearchParams({ limit: String(limit), ...(scope === "all" ? { scope } : {}) });
      if (cursor) query.set("cursor", cursor);
      return call(`/batches?${query}`);
    },
  };
}

/** PUTs the file to the presigned URL, reporting progress (fetch cannot report an upload's progress). */
export function upload(
  created: CreateBatchResponse,
  file: Blob,
  onProgress: (sent: number, total: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(created.upload.method, created.upload.url);
    // Content-Length is the browser's to set (a forbidden header name, Fetch standard): it sends the file's size,
    // which the URL signs.
    for (const [name, value] of Object.entries(created.upload.headers))
      if (name.toLowerCase() !== "content-length") xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`Upload failed: ${xhr.status}`));
    xhr.onerror = () => reject(new Error("Upload failed: the storage did not answer"));
    xhr.send(file);
  });
}
