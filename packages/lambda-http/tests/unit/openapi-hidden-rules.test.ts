/**
 * A request body's zod schema can hold rules JSON Schema cannot say: a refinement (`.refine`, `.superRefine`, a
 * custom check) or a transform that rejects (`ctx.addIssue`). The generated OpenAPI document drops them, so a
 * client reading it would send bodies the API refuses with no hint why (issue 30). Each such rule must sit under a
 * `.meta({ description })` (on itself or on the body property holding it), and that description must be in the
 * document: this finds the rules by walking the zod schema, not by a list of known fields.
 */
import { ROUTES, type RouteDefinition, routeKey } from "@sml/contracts/routes";
import { z } from "zod";
import { openApiDocument } from "../../src";

/** A rule JSON Schema cannot express, where it sits, and the description that covers it (if any). */
export interface HiddenRule {
  readonly path: string;
  readonly kind: "custom check" | "transform";
  readonly description: string | undefined;
}

const descriptionOf = (schema: z.core.$ZodType): string | undefined =>
  z.globalRegistry.get(schema)?.description;

/**
 * Every hidden rule of `schema`. A description covers the node it is on and everything below it down to the next
 * object's properties (each property documents its own rules).
 */
export function hiddenRules(schema: z.core.$ZodType, path = "", covering?: string): HiddenRule[] {
  const description = descriptionOf(schema) ?? covering;
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  const found: HiddenRule[] = [];
  for (const check of def.checks ?? []) {
    if (check._zod.def.check === "custom")
      found.push({ path: path || "(body)", kind: "custom check", description });
  }
  if (def.type === "transform") found.push({ path: path || "(body)", kind: "transform", description });
  const below = (child: unknown, childPath = path, cover = description) =>
    child ? hiddenRules(child as z.core.$ZodType, childPath, cover) : [];
  switch (def.type) {
    case "object":
      for (const [key, child] of Object.entries(def.shape as Record<string, z.core.$ZodType>)) {
        found.push(...below(child, path ? `${path}.${key}` : key, undefined));
      }
      break;
    case "pipe":
      found.push(...below(def.in), ...below(def.out));
      break;
    case "array":
      found.push(...below(def.element, `${path}[]`));
      break;
    case "union":
      for (const option of def.options as z.core.$ZodType[]) found.push(...below(option));
      break;
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
    case "nonoptional":
      found.push(...below(def.innerType));
      break;
  }
  return found;
}

const bodies = (ROUTES as readonly RouteDefinition[]).flatMap((r) =>
  r.body ? [[routeKey(r), r.body.schema] as const] : [],
);
const document = JSON.stringify(openApiDocument());

describe("request bodies' rules the OpenAPI document cannot express", () => {
  it("are found in the bodies the table has (POST /users' name and email)", () => {
    const users = bodies.find(([key]) => key === "POST /users");
    expect(users).toBeDefined();
    const paths = hiddenRules(users?.[1] as z.ZodType).map((r) => r.path);
    expect(paths).toEqual(expect.arrayContaining(["name", "email"]));
  });

  it("are each described, and the description is in the document", () => {
    const inDocument = (text: string) => document.includes(JSON.stringify(text).slice(1, -1));
    const undocumented = bodies.flatMap(([key, schema]) =>
      hiddenRules(schema)
        .filter((rule) => rule.description === undefined || !inDocument(rule.description))
        .map((rule) => `${key} ${rule.path}: ${rule.kind}`),
    );
    expect(undocumented).toEqual([]);
  });

  it("finds an undescribed refinement, and one a property's description covers", () => {
    const bare = z.strictObject({ code: z.string().refine((s) => s !== "x", "not x") });
    expect(hiddenRules(bare)).toEqual([{ path: "code", kind: "custom check", description: undefined }]);
    const described = z.strictObject({
      code: z
        .string()
        .superRefine(() => undefined)
        .meta({ description: "never x" }),
    });
    expect(hiddenRules(described)).toEqual([{ path: "code", kind: "custom check", description: "never x" }]);
    const nested = z.strictObject({ items: z.array(z.strictObject({ n: z.number().refine((n) => n > 0) })) });
    expect(hiddenRules(nested).map((r) => r.path)).toEqual(["items[].n"]);
  });
});
