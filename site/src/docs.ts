/**
 * The API docs page: Swagger UI (the installed swagger-ui-dist, served by the site; nothing from elsewhere) over
 * the API's OpenAPI document on this origin. "Try it out" sends the token of the page's session, so signed-in
 * people can call the routes that need one (Swagger's Authorize button takes one too).
 */
import { SITE_OPENAPI_URL } from "@sml/contracts/site";

declare const SwaggerUIBundle: (options: Record<string, unknown>) => unknown;

const token = sessionStorage.getItem("sml.token");
// validatorUrl null: Swagger UI would otherwise send the document to validator.swagger.io for a badge.
(window as unknown as { ui: unknown }).ui = SwaggerUIBundle({
  url: SITE_OPENAPI_URL,
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  displayOperationId: true,
  requestInterceptor: (request: { headers: Record<string, string> }) => {
    if (token && !request.headers.Authorization) request.headers.Authorization = `Bearer ${token}`;
    return request;
  },
});
