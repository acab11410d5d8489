/**
 * The site the app builds: the repository's own (infra/src/config/site.ts), unless `SML_SITE_FILE` names another
 * module exporting `SITE`. The tests set it to their fixed test site (infra/tests/support/test-site.ts) so that
 * snapshots, the cost doc and every assertion stay the same whatever a fork writes in site.ts; nothing else
 * should set it. Every other module reads the site from here (through `../config`), never from site.ts itself.
 */
import { isAbsolute, resolve } from "node:path";
import { ConfigError } from "@sml/contracts/env";
import { SITE as REPOSITORY_SITE, type SiteConfig } from "./site";

/** The variable naming another site module (a path, relative to the working directory or absolute). */
export const SITE_FILE_VARIABLE = "SML_SITE_FILE";

/** The site module `file` exports as `SITE` (tsx and jest compile the TypeScript on require). */
export function loadSiteFile(file: string): SiteConfig {
  const path = isAbsolute(file) ? file : resolve(process.cwd(), file);
  let loaded: { SITE?: SiteConfig };
  try {
    loaded = require(path);
  } catch (err) {
    throw new ConfigError(`${SITE_FILE_VARIABLE}=${file}: cannot load ${path}`, { cause: err });
  }
  if (!loaded.SITE || typeof loaded.SITE !== "object")
    throw new ConfigError(`${SITE_FILE_VARIABLE}=${file}: ${path} exports no SITE (a SiteConfig)`);
  return loaded.SITE;
}

/** The site every stack, environment and script of this process uses. */
export const SITE: SiteConfig = process.env[SITE_FILE_VARIABLE]
  ? loadSiteFile(process.env[SITE_FILE_VARIABLE])
  : REPOSITORY_SITE;
