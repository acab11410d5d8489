/**
 * scripts/delivery/token.sh against a fake `aws` first on PATH (tests/support/fake-aws/aws, AWS CLI and Cognito
 * mocked: no user pool runs here). The recorded responses have the shapes of the Cognito API reference
 * (InitiateAuth / RespondToAuthChallenge: `AuthenticationResult.IdToken`, or `ChallengeName`, `Session`,
 * `ChallengeParameters`); the script's decisions and the requests it sends run for real with the real jq.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AwsResponse, type RecordedAws, recordedAws } from "../support/fake-commands";

jest.setTimeout(60_000);

const POOL = { user_pool_id: "eu-west-1_AbCdEf123", user_pool_client_id: "3n4b5urk1ft4fl3mg5e62d9ado" };
const PASSWORD = "Correct, horse 1 Battery";

let aws: RecordedAws;
beforeEach(() => {
  aws = recordedAws("sml-token-");
});
afterEach(() => aws.cleanup());

const record = (command: string, response: AwsResponse) => aws.record(command, response);

function outputs(values: Record<string, string>): string {
  const file = join(aws.dir, "outputs.json");
  writeFileSync(file, JSON.stringify({ api_url: "https://example.invalid/", ...values }));
  return file;
}

async function token(args: string[], env: Record<string, string> = {}) {
  const result = await aws.run("scripts/delivery/token.sh", args, { SML_PASSWORD: PASSWORD, ...env });
  return { ...result, calls: aws.calls(), requests: aws.requests() };
}

it("signs in to the app client with USER_PASSWORD_AUTH, unsigned, and prints the ID token", async () => {
  record("cognito-idp initiate-auth", {
    stdout: JSON.stringify({
      AuthenticationResult: { IdToken: "id.token.jwt", AccessToken: "a", ExpiresIn: 3600 },
    }),
  });
  const result = await token(["sign-in", outputs(POOL), "ana@example.com"]);
  expect(result).toMatchObject({ code: 0, stdout: "id.token.jwt\n" });
  expect(result.calls).toHaveLength(1);
  expect(result.calls[0]).toMatch(/^cognito-idp initiate-auth --no-sign-request --cli-input-json file:\/\//);
  expect(result.requests).toEqual([
    {
      ClientId: POOL.user_pool_client_id,
      AuthFlow: "USER_PASSWORD_AUTH",
      AuthParameters: { USERNAME: "ana@example.com", PASSWORD },
    },
  ]);
  // The password never appears on a command line (ps shows those to every user of the machine).
  expect(result.calls.join("\n")).not.toContain(PASSWORD);
});

it("sets the new password an invited user must choose at the first sign-in", async () => {
  record("cognito-idp initiate-auth", {
    stdout: JSON.stringify({
      ChallengeName: "NEW_PASSWORD_REQUIRED",
      Session: "session-1",
      ChallengeParameters: { USER_ID_FOR_SRP: "9a7b-uuid", requiredAttributes: "[]" },
    }),
  });
  record("cognito-idp respond-to-auth-challenge", {
    stdout: JSON.stringify({ AuthenticationResult: { IdToken: "after.new.password" } }),
  });
  const result = await token(["sign-in", outputs(POOL), "ana@example.com"], {
    SML_NEW_PASSWORD: "A new one, 2 long",
  });
  expect(result).toMatchObject({ code: 0, stdout: "after.new.password\n" });
  expect(result.requests[1]).toEqual({
    ClientId: POOL.user_pool_client_id,
    ChallengeName: "NEW_PASSWORD_REQUIRED",
    Session: "session-1",
    ChallengeResponses: { USERNAME: "9a7b-uuid", NEW_PASSWORD: "A new one, 2 long" },
  });
});

it("fails on a challenge it does not handle, printing no token", async () => {
  record("cognito-idp initiate-auth", {
    stdout: JSON.stringify({ ChallengeName: "CUSTOM_CHALLENGE", Session: "s", ChallengeParameters: {} }),
  });
  const result = await token(["sign-in", outputs(POOL), "ana@example.com"]);
  expect(result.code).toBe(1);
  expect(result.stdout).toBe("");
  expect(result.stderr).toContain("CUSTOM_CHALLENGE");
});

it("fails when Cognito refuses the password (the CLI's exit code), printing no token", async () => {
  record("cognito-idp initiate-auth", { exitCode: 254 });
  const result = await token(["sign-in", outputs(POOL), "ana@example.com"]);
  expect(result.code).toBe(254);
  expect(result.stdout).toBe("");
});

it("invites a user with admin-create-user, so Cognito e-mails a temporary password", async () => {
  record("cognito-idp admin-create-user", { stdout: "{}" });
  const result = await token(["invite", outputs(POOL), "bo@example.com"]);
  expect(result.code).toBe(0);
  expect(result.calls).toEqual([
    `cognito-idp admin-create-user --user-pool-id ${POOL.user_pool_id} --username bo@example.com --user-attributes Name=email,Value=bo@example.com Name=email_verified,Value=true --desired-delivery-mediums EMAIL`,
  ]);
});

it.each([
  [
    "an environment without the JWT authorizer (no user pool outputs)",
    ["sign-in", "OUTPUTS", "a@example.com"],
  ],
  ["an unknown action", ["register", "OUTPUTS", "a@example.com"]],
  ["a missing e-mail", ["sign-in", "OUTPUTS"]],
])("refuses %s with exit 2 and calls nothing", async (_what, args) => {
  const file = outputs({});
  const result = await token(args.map((a) => (a === "OUTPUTS" ? file : a)));
  expect(result.code).not.toBe(0);
  expect(result.stdout).toBe("");
  expect(result.calls).toEqual([]);
});
