/**
 * Which preview stacks the scheduled sweep destroys: those whose state was last written (last deployed) more
 * than `max-age-days` ago, read from a listing of the state bucket. A preview is destroyed when its pull request
 * closes; the sweep catches the ones whose close event was missed or whose pull request went quiet.
 *
 * Usage:
 *   aws s3api list-objects-v2 --bucket <state bucket> --prefix <stateKeyPrefix> --output json > listing.json
 *   tsx scripts/delivery/preview-sweep.ts <listing.json> <stateKeyPrefix> <max-age-days> [<now ISO 8601>]
 * prints the pull request numbers to destroy, one a line (`stateKeyPrefix` from `tsx infra/src/preview-facts.ts`).
 */
import { readFileSync } from "node:fs";

export interface StateObject {
  readonly Key: string;
  readonly LastModified: string;
}

/** Bad input: names the argument and what it must be. */
export class SweepInputError extends Error {
  override readonly name = "SweepInputError";
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The objects of `aws s3api list-objects-v2 --output json` (`Contents` is absent when nothing matches). */
export function parseListing(value: unknown): StateObject[] {
  if (typeof value !== "object" || value === null) throw new SweepInputError("listing is not a JSON object");
  const contents = (value as { Contents?: unknown }).Contents ?? [];
  if (!Array.isArray(contents)) throw new SweepInputError("listing: Contents is not a list");
  return contents.map((o, i) => {
    const { Key, LastModified } = (o ?? {}) as Partial<StateObject>;
    if (typeof Key !== "string" || typeof LastModified !== "string" || Number.isNaN(Date.parse(LastModified)))
      throw new SweepInputError(`listing: Contents[${i}] has no Key or no ISO 8601 LastModified`);
    return { Key, LastModified };
  });
}

/**
 * Pull request numbers of previews whose state file (`<stateKeyPrefix><number>/terraform.tfstate`) is older
 * than `maxAgeDays`, ascending. Lock files and anything not shaped like a preview's state key are ignored, so
 * the sweep can never pick dev's or prd's state.
 */
export function stalePreviews(
  objects: readonly StateObject[],
  stateKeyPrefix: string,
  maxAgeDays: number,
  now: Date,
): number[] {
  if (!Number.isFinite(maxAgeDays) || maxAgeDays < 1)
    throw new SweepInputError(`max-age-days must be a number >= 1 (got ${maxAgeDays})`);
  if (!stateKeyPrefix.endsWith("-"))
    throw new SweepInputError(
      `stateKeyPrefix ${stateKeyPrefix} must end with "-" (e.g. serverless-ml-api/sml-pr-)`,
    );
  const escaped = stateKeyPrefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const stateKey = new RegExp(`^${escaped}([1-9][0-9]*)/terraform\\.tfstate$`);
  const cutoff = now.getTime() - maxAgeDays * DAY_MS;
  const stale = new Set<number>();
  for (const o of objects) {
    const match = stateKey.exec(o.Key);
    if (match && Date.parse(o.LastModified) < cutoff) stale.add(Number(match[1]));
  }
  return [...stale].sort((a, b) => a - b);
}

if (require.main === module) {
  const [file, prefix, days, now] = process.argv.slice(2);
  try {
    if (!file || !prefix || !days)
      throw new SweepInputError(
        "usage: preview-sweep.ts <listing.json> <stateKeyPrefix> <max-age-days> [<now ISO 8601>]",
      );
    const objects = parseListing(JSON.parse(readFileSync(file, "utf8") || "{}"));
    const at = now ? new Date(now) : new Date();
    if (Number.isNaN(at.getTime())) throw new SweepInputError(`now ${now} is not an ISO 8601 time`);
    for (const n of stalePreviews(objects, prefix, Number(days), at)) process.stdout.write(`${n}\n`);
  } catch (err) {
    process.stderr.write(`preview-sweep: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
