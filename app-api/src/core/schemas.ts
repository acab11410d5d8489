/**
 * What the API accepts: the zod schemas live in @sml/contracts/users (the route table documents each route with
 * them, and GET /openapi.json is generated from them); the rules are spelled out there and in app-api/README.md.
 */
export {
  CURSOR_MAX_LENGTH,
  EMAIL_LOCAL_PART_MAX_LENGTH,
  EMAIL_MAX_LENGTH,
  LIST_LIMIT_DEFAULT,
  LIST_LIMIT_MAX,
  type ListUsersQuery,
  ListUsersQuerySchema,
  NAME_MAX_CODE_POINTS,
  type NewUser,
  NewUserSchema,
} from "@sml/contracts/users";
