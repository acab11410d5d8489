import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The committed model registry, which lives with the image that carries it (model-container/model). */
export const workspaceRegistryDir = join(__dirname, "../../../../model-container/model");

/** The champion's own folder, named in models.json. */
export const workspaceModelDir = join(
  workspaceRegistryDir,
  JSON.parse(readFileSync(join(workspaceRegistryDir, "models.json"), "utf8")).champion,
);
