/**
 * Every response the api function's handler gives in this project's tests is checked against the OpenAPI
 * document (status documented for the operation, body valid for that status): createHandler is wrapped, not
 * replaced, so the handler answers exactly as before and a response the document does not describe fails the test
 * that produced it. See @sml/lambda-http/testing.
 */
jest.mock("../src/adapters/http-handler", () => {
  const actual = jest.requireActual("../src/adapters/http-handler");
  const { observeContract } = jest.requireActual("@sml/lambda-http/testing");
  return {
    ...actual,
    createHandler: (...args: unknown[]) => observeContract("api", actual.createHandler(...args)),
  };
});
