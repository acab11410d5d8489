/**
 * One reviewable snapshot file per stack (infra/tests/__snapshots__/stacks/<stack id>.json), committed so that
 * every infrastructure change shows up as a readable diff in review: the synthesized Terraform JSON,
 * indented, with every attribute that holds a JSON document as a string (`dashboard_body`, `redrive_policy`, an
 * access-log format, a Lambda invocation's `input`) expanded under JSON_STRING, so one route or alarm more is a
 * few readable lines of diff instead of one changed 7,000-character line. Placeholders stand only where a value
 * follows the build, not the infrastructure: the asset hash in a zip's path, a zip's `source_code_hash`, and the
 * migration set's `migrationSetHash`.
 */
import type { TfJson } from "@sml/infra/testing/synth";
import { synthesizedStacks } from "./stacks";
import type { Generator } from "./types";

/** The snapshot folder, repository-relative. */
export const SNAPSHOT_DIR = "infra/tests/__snapshots__/stacks";
export const snapshotPath = (stackId: string): string => `${SNAPSHOT_DIR}/${stackId}.json`;

/** Key under which an expanded JSON string stands in the snapshot (the value was a string in the stack). */
export const JSON_STRING = "<json-string>";

/** A cdktf asset path: `assets/<construct id>/<32 hex digits: the asset's hash>/<file>`. */
const ASSET_PATH = /^(assets\/[^/]+\/)[0-9A-F]{32}(\/)/;

function expandJsonString(value: string): unknown {
  if (!/^\s*[[{]/.test(value)) return undefined;
  try {
    const parsed = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function reviewableValue(value: unknown, key: string | undefined): unknown {
  if (typeof value === "string") {
    if (key === "source_code_hash") return "<zip-sha256>";
    if (key === "migrationSetHash") return "<migration-set-hash>";
    const expanded = expandJsonString(value);
    if (expanded !== undefined) return { [JSON_STRING]: reviewableValue(expanded, undefined) };
    return value.replace(ASSET_PATH, "$1<asset-hash>$2");
  }
  if (Array.isArray(value)) return value.map((v) => reviewableValue(v, undefined));
  if (typeof value === "object" && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reviewableValue(v, k)]));
  return value;
}

/** The stack JSON as its snapshot shows it (see the module comment). */
export function reviewable(text: string): TfJson {
  return reviewableValue(JSON.parse(text), undefined) as TfJson;
}

/** The longest list kept on one line: a dashboard metric with its label fits, a policy's action list does not. */
export const ROW_MAX_CHARACTERS = 240;

const isScalar = (v: unknown) => v === null || typeof v !== "object";
const isRow = (v: unknown): boolean =>
  Array.isArray(v) &&
  v.every((e) => isScalar(e) || (!Array.isArray(e) && Object.values(e as object).every(isScalar)));

/**
 * JSON with two-space indentation, one attribute per line, except that a list of plain values (a dashboard
 * metric `[namespace, metric, dimension, value, ..., {stat}]`, `alarm_actions`) of up to ROW_MAX_CHARACTERS stays on
 * one line: a new metric or alarm target is one added line, not sixteen.
 */
export function stringifyReviewable(value: unknown, indent = ""): string {
  if (isRow(value)) {
    const inline = (e: unknown): string =>
      isScalar(e)
        ? JSON.stringify(e)
        : `{${Object.entries(e as object)
            .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
            .join(", ")}}`;
    const line = `[${(value as unknown[]).map(inline).join(", ")}]`;
    // A long list (a policy's actions) keeps one value per line, so adding one is a one-line diff.
    if (line.length <= ROW_MAX_CHARACTERS) return line;
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const inner = `${indent}  `;
    return `[\n${value.map((v) => inner + stringifyReviewable(v, inner)).join(",\n")}\n${indent}]`;
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value);
    if (entries.length === 0) return "{}";
    const inner = `${indent}  `;
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${stringifyReviewable(v, inner)}`).join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** The snapshot file's text (see `stringifyReviewable`), with a final newline. */
export const snapshotText = (text: string): string => `${stringifyReviewable(reviewable(text))}\n`;

/** A file per stack, and no file for a stack the app no longer has. */
export const stackSnapshots: Generator = {
  describe: `${SNAPSHOT_DIR}/<stack>.json (one reviewable snapshot per stack)`,
  files(tree) {
    const stacks = synthesizedStacks();
    const current = stacks.map((s) => ({ path: snapshotPath(s.id), text: snapshotText(s.text) }));
    const ids = new Set(stacks.map((s) => `${s.id}.json`));
    const gone = tree
      .list(SNAPSHOT_DIR)
      .filter((name) => !ids.has(name))
      .map((name) => ({ path: `${SNAPSHOT_DIR}/${name}`, text: undefined }));
    return [...current, ...gone];
  },
};
