import { resolve } from "node:path";

/** The repository root: bundle folders and migrations are read relative to it, whatever the working directory. */
export const REPO_ROOT = resolve(__dirname, "../..");
