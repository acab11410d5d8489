import { callerFromClaims, listClaim } from "../../src/auth";

describe("listClaim", () => {
  it("reads API Gateway's form of an array claim: bracketed, space-separated", () => {
    expect(listClaim("[admins analysts]")).toEqual(["admins", "analysts"]);
    expect(listClaim("[analysts]")).toEqual(["analysts"]);
    expect(listClaim("[]")).toEqual([]);
  });

  it("keeps a JSON array as it is (a direct invocation)", () => {
    expect(listClaim(["admins", "analysts"])).toEqual(["admins", "analysts"]);
  });

  it("treats a comma as part of a group name, as Cognito does (GroupName may hold punctuation)", () => {
    expect(listClaim("[x,admins]")).toEqual(["x,admins"]);
    expect(listClaim(["x,admins"])).toEqual(["x,admins"]);
  });

  it("reads a string without brackets as one value, whatever it holds", () => {
    expect(listClaim("x admins")).toEqual(["x admins"]);
    expect(listClaim("x,admins")).toEqual(["x,admins"]);
  });
});

describe("callerFromClaims", () => {
  const claims = (groups: string | string[]) => ({ sub: "s-1", "cognito:groups": groups });

  it("makes an admin of the admins group, in either form", () => {
    expect(callerFromClaims(claims("[analysts admins]"))?.admin).toBe(true);
    expect(callerFromClaims(claims(["admins"]))?.admin).toBe(true);
  });

  it.each([["x,admins"], ["admins,x"], ["x admins"], [" admins"], ["admins "], ["Admins"], ["[x,admins]"]])(
    "does not make an admin of the group %j",
    (group) => {
      expect(callerFromClaims(claims([group]))?.admin).toBe(false);
      // The same group as API Gateway passes it, when it is the caller's only group (no whitespace: Cognito's rule).
      if (!/\s/.test(group)) expect(callerFromClaims(claims(`[${group}]`))?.admin).toBe(false);
    },
  );

  it("does not make an admin of an unbracketed string claim holding several names", () => {
    expect(callerFromClaims(claims("x,admins"))?.admin).toBe(false);
    expect(callerFromClaims(claims("x admins"))?.admin).toBe(false);
  });
});
