/** docs/slo.md's objective and alarm tables, from infra/src/config/slo.ts (the definitions the alarms are built from). */
import { alarmTable, type DocTable, sloTable } from "@sml/infra/config/slo";
import { markdownTable } from "./markdown";
import { replaceSections, requiredDoc } from "./sections";
import type { Generator } from "./types";

export const SLO_DOC = "docs/slo.md";

const layout = (table: DocTable) => markdownTable(table.header, table.rows);

/** Generated sections of docs/slo.md by marker name. */
export const sloDocSections = (): Record<string, string> => ({
  "slo-table": layout(sloTable()),
  "alarm-table": layout(alarmTable()),
});

export const sloDoc: Generator = {
  describe: `${SLO_DOC} (objective and alarm tables)`,
  files: (tree) => [
    { path: SLO_DOC, text: replaceSections(requiredDoc(tree, SLO_DOC), sloDocSections(), SLO_DOC) },
  ],
};
