import { ListUsersQuerySchema, NewUserSchema } from "../../src/core/schemas";

const email = "ada@example.com";

describe("NewUserSchema", () => {
  it.each([
    ["trims surrounding whitespace, Unicode spaces included", "\u3000 Ada \t", "Ada"],
    ["normalises to NFC", "Zoe\u0308", "Zoë"],
    ["keeps inner spaces and punctuation", "Ada  King-Lovelace, Countess", "Ada  King-Lovelace, Countess"],
    ["keeps right-to-left text", "עדה לאבלייס", "עדה לאבלייס"],
    ["keeps zero-width joiners inside emoji sequences", "👩‍👩‍👧‍👦", "👩‍👩‍👧‍👦"],
    ["strips a leading byte-order mark", "\uFEFFAda", "Ada"],
  ])("%s", (_title, name, expected) => {
    expect(NewUserSchema.parse({ name, email }).name).toBe(expected);
  });

  it("counts the length in code points: 200 astral characters pass, 201 do not", () => {
    expect(NewUserSchema.safeParse({ name: "😀".repeat(200), email }).success).toBe(true);
    expect(NewUserSchema.safeParse({ name: "😀".repeat(201), email }).success).toBe(false);
  });

  it("applies the length limit after trimming", () => {
    expect(NewUserSchema.safeParse({ name: ` ${"a".repeat(200)} `, email }).success).toBe(true);
  });

  it("trims the email and keeps its case", () => {
    expect(NewUserSchema.parse({ name: "Ada", email: "  Ada.King+test@Example.ORG " }).email).toBe(
      "Ada.King+test@Example.ORG",
    );
  });

  it("accepts an internationalised domain in punycode form", () => {
    expect(NewUserSchema.safeParse({ name: "Ada", email: "ada@xn--bcher-kva.example" }).success).toBe(true);
  });
});

describe("ListUsersQuerySchema", () => {
  it("defaults limit to 20 and converts it to a number", () => {
    expect(ListUsersQuerySchema.parse({})).toEqual({ limit: 20 });
    expect(ListUsersQuerySchema.parse({ limit: "100", cursor: "abc" })).toEqual({
      limit: 100,
      cursor: "abc",
    });
  });

  it("accepts a zero-padded limit within range", () => {
    expect(ListUsersQuerySchema.parse({ limit: "007" })).toEqual({ limit: 7 });
  });
});
