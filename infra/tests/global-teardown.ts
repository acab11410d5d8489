import { rmSync } from "node:fs";
import { BUNDLE_ROOT_VARIABLE } from "./support/paths";

export default function globalTeardown(): void {
  const root = process.env[BUNDLE_ROOT_VARIABLE];
  if (root) rmSync(root, { recursive: true, force: true });
}
