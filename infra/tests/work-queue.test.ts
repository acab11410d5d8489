/**
 * The users queue and the batch worker's queue are one construct (WorkQueue) since their resources moved out of
 * Messaging and BatchPredictions. Queues hold messages: a plan on a state written before the move must move them,
 * never destroy and re-create them. Terraform moves a resource when a `moved` block names its old address and the
 * new one (Terraform language docs, "Refactoring": `moved` blocks); replacement happens only when an argument that
 * forces a new resource changes (REPLACEMENT_TABLE: a queue's name, a policy's queue_url).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { TerraformStack, Testing } from "cdktf";
import { Construct } from "constructs";
import { WorkQueue } from "../src/constructs/work-queue";
import { REPLACEMENT_TABLE } from "./support/replacement-table";
import { synthAllStacks, type TfJson } from "./support/synth";

type Before =
  | { readonly name: string }
  /** A policy: the old address of the queue it was attached to. */
  | { readonly queueOf: string };

const fixture = JSON.parse(
  readFileSync(join(__dirname, "fixtures", "queues-before-work-queue.json"), "utf8"),
) as { stacks: Record<string, Record<string, Before>> };

interface Moved {
  readonly from: string;
  readonly to: string;
}

/** Where a plan on the old state puts `address`: itself, or the target of the `moved` block from it. */
function addressAfter(json: TfJson, address: string): string | undefined {
  const [type, name] = address.split(".") as [string, string];
  if (json.resource?.[type]?.[name]) return address;
  const moves = ((json.moved ?? []) as Moved[]).filter((m) => m.from === address);
  if (moves.length > 1) throw new Error(`${address} has ${moves.length} moved blocks`);
  return moves[0]?.to;
}

function bodyAt(json: TfJson, address: string): TfJson | undefined {
  const [type, name] = address.split(".") as [string, string];
  return json.resource?.[type]?.[name];
}

const { synthesized } = synthAllStacks();

describe("WorkQueue keeps the queues of existing states", () => {
  it.each(Object.keys(fixture.stacks))(
    "%s: every queue address of the old stack is kept or moved",
    (stackId) => {
      const stack = synthesized.find((s) => s.id === stackId);
      if (!stack) throw new Error(`${stackId} not synthesized`);
      const before = fixture.stacks[stackId] ?? {};
      expect(Object.keys(before).length).toBeGreaterThan(0);
      for (const [oldAddress, was] of Object.entries(before)) {
        const type = oldAddress.split(".")[0] as string;
        const now = addressAfter(stack.json, oldAddress);
        expect({ oldAddress, now }).toEqual({
          oldAddress,
          now: expect.stringMatching(new RegExp(`^${type}\\.`)),
        });
        const body = bodyAt(stack.json, now as string);
        expect({ oldAddress, exists: body !== undefined }).toEqual({ oldAddress, exists: true });
        // No argument that forces a new resource differs from what the old state holds.
        const forceNew = REPLACEMENT_TABLE[type]?.forceNew ?? [];
        if ("name" in was) {
          expect(forceNew).toContain("name");
          expect(body?.name).toBe(was.name);
          for (const argument of forceNew.filter((a) => a !== "name"))
            expect(body?.[argument]).toBeUndefined();
        } else {
          expect(forceNew).toEqual(["queue_url"]);
          // The policy stays on the same queue: the one the old queue address moved to.
          expect(body?.queue_url).toBe(`\${${addressAfter(stack.json, was.queueOf)}.url}`);
        }
      }
    },
  );

  it("moves queue resources only from the old queue addresses, to resources of the same type", () => {
    for (const s of synthesized) {
      const before = fixture.stacks[s.id] ?? {};
      const queueMoves = ((s.json.moved ?? []) as Moved[]).filter((m) => m.to.startsWith("aws_sqs_queue"));
      expect(queueMoves.length).toBe(Object.keys(before).length);
      for (const m of queueMoves) {
        expect(Object.keys(before)).toContain(m.from);
        expect(m.to.split(".")[0]).toBe(m.from.split(".")[0]);
        expect(bodyAt(s.json, m.to)).toBeDefined();
      }
    }
  });
});

describe("WorkQueue", () => {
  const build = (movedFromParent: boolean): TfJson => {
    const root = new TerraformStack(Testing.app(), "test");
    const parent = new Construct(root, "parent");
    new WorkQueue(parent, "queues", {
      name: "q",
      settings: {
        visibilityTimeoutSeconds: 60,
        messageRetentionSeconds: 3600,
        deadLetterRetentionSeconds: 7200,
        maxReceiveCount: 3,
      },
      preventDestroy: true,
      senders: () => [],
      movedFromParent,
    });
    return JSON.parse(Testing.synth(root)) as TfJson;
  };

  it("writes no moved block for queues that never lived elsewhere", () => {
    expect(build(false).moved).toBeUndefined();
  });

  it("moves each resource from its id directly in the parent", () => {
    const json = build(true);
    const moved = (json.moved ?? []) as Moved[];
    expect(moved).toHaveLength(4);
    for (const m of moved) {
      const [type, name] = m.to.split(".") as [string, string];
      expect(json.resource[type][name]).toBeDefined();
      // `parent_queues_dlq_<hash>` came from `parent_dlq_<hash>`: the same id without the WorkQueue's.
      const id = /^parent_queues_(.+)_[0-9A-F]{8}$/.exec(name)?.[1];
      expect(m.from).toMatch(new RegExp(`^${type}\\.parent_${id}_[0-9A-F]{8}$`));
    }
  });
});
