import { type Caller, callerFromClaims, type JwtClaims } from "@sml/contracts/auth";
import { UnauthenticatedError } from "@sml/contracts/errors";
import type { APIGatewayProxyEventV2 } from "aws-lambda";

/**
 * The caller of an authorized route, from the claims API Gateway's JWT authorizer verified
 * (`requestContext.authorizer.jwt.claims`). No claims means the route was reached without the authorizer (a
 * direct invocation, a route left without one): the function refuses rather than serve nobody's data.
 */
export function callerOf(event: APIGatewayProxyEventV2): Caller {
  const context = event.requestContext as APIGatewayProxyEventV2["requestContext"] & {
    authorizer?: { jwt?: { claims?: JwtClaims } };
  };
  const caller = callerFromClaims(context.authorizer?.jwt?.claims);
  if (!caller) throw new UnauthenticatedError("This route needs a signed-in caller (a bearer token)");
  return caller;
}
