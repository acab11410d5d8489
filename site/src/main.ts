/**
 * The workbench page: sign in, drop a CSV/JSON Lines file of flights, watch it upload and be scored, list my
 * batches (status, counts, errors by line), download results, and, for a file with a `delay` column, compare the
 * models on it (AUC, log loss, a calibration chart). Plain DOM, no framework: the page is one screen.
 */
import type { BatchFormat, BatchSummary } from "@sml/contracts/batches";
import { SITE_CONFIG_PATH, SITE_DOCS_PAGE, type SiteConfig } from "@sml/contracts/site";
import { type Api, createApi, upload } from "./api";
import { completeSignIn, currentSession, type Session, signIn, signOut } from "./auth";
import { auc, type CalibrationBin, calibration, logLoss } from "./metrics";
import { columnsOf, formatOfName, scoredRows } from "./records";

type Child = Node | string | false | undefined;
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | ((e: Event) => void)> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else if (value !== false) el.setAttribute(name, value);
  }
  for (const child of children) if (child !== false && child !== undefined) el.append(child);
  return el;
}
const SVG = "http://www.w3.org/2000/svg";
function s(tag: string, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  el.append(...children);
  return el;
}

const app = document.getElementById("app") as HTMLElement;
const status = h("p", { role: "status", "aria-live": "polite", id: "status" });
const fmt = (n: number) => n.toLocaleString("en");
const short = (id: string) => id.slice(0, 8);

function say(message: string): void {
  status.textContent = message;
}

async function main(): Promise<void> {
  const config = (await (await fetch(SITE_CONFIG_PATH)).json()) as SiteConfig;
  let session: Session | undefined;
  try {
    session = (await completeSignIn(config)) ?? currentSession();
  } catch (err) {
    say((err as Error).message);
  }
  if (!session) {
    app.replaceChildren(
      h("h1", {}, "Flight delay workbench"),
      h("p", {}, "Score files of flights with the delay models and compare them. Access is by invitation."),
      h("button", { type: "button", id: "sign-in", onclick: () => void signIn(config) }, "Sign in"),
      status,
    );
    return;
  }
  const signedIn = session;
  const api = createApi(
    () => signedIn.token,
    () => void signIn(config),
  );
  renderWorkbench(config, signedIn, api);
}

interface Evaluation {
  readonly label: string;
  readonly rows: number;
  readonly auc: number;
  readonly logLoss: number;
  readonly bins: CalibrationBin[];
}

function renderWorkbench(config: SiteConfig, session: Session, api: Api): void {
  const admin = session.groups.includes("admins");
  let scope: "mine" | "all" = "mine";
  let models: { id: string; champion: boolean }[] = [];
  const evaluations = new Map<string, Evaluation>();

  // ---- Upload ------------------------------------------------------------------------------------------------
  const fileInput = h("input", {
    type: "file",
    id: "file",
    accept: ".csv,.jsonl,.ndjson,text/csv,application/x-ndjson",
  });
  const modelSelect = h("select", { id: "model" });
  const compareBox = h("input", { type: "checkbox", id: "compare" });
  const compareLabel = h(
    "label",
    { for: "compare", hidden: true, id: "compare-label" },
    compareBox,
    " Score with every model and compare them on the delay column",
  );
  const submit = h("button", { type: "submit", disabled: true }, "Score file");
  const progress = h("progress", {
    id: "upload-progress",
    max: "1",
    value: "0",
    hidden: true,
    "aria-label": "Upload progress",
  });
  const chosen = h("p", { id: "chosen" }, "No file chosen.");
  let file: File | undefined;
  let format: BatchFormat | undefined;
  let hasDelay = false;

  const choose = async (f: File | undefined) => {
    file = f;
    format = f ? formatOfName(f.name) : undefined;
    submit.disabled = !f || !format;
    if (!f) return;
    if (!format) {
      chosen.textContent = `${f.name}: name it .csv or .jsonl to say its format.`;
      return;
    }
    const head = await f.slice(0, 64 * 1024).text();
    hasDelay = columnsOf(head.split(/\r?\n/)[0] ?? "", format).includes("delay");
    compareLabel.hidden = !hasDelay;
    compareBox.checked = hasDelay;
    chosen.textContent = `${f.name} (${format.toUpperCase()}, ${fmt(f.size)} bytes)${hasDelay ? ", with a delay column" : ""}.`;
  };
  fileInput.addEventListener("change", () => void choose(fileInput.files?.[0]));
  const drop = h(
    "div",
    { class: "drop", id: "drop" },
    h("label", { for: "file" }, "Drop a CSV or JSON Lines file of flights here, or choose one: "),
    fileInput,
    chosen,
  );
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    void choose(e.dataTransfer?.files[0]);
  });

  const form = h(
    "form",
    { id: "upload", "aria-labelledby": "upload-title" },
    h("h2", { id: "upload-title" }, "Score a file"),
    drop,
    h("p", {}, h("label", { for: "model" }, "Model "), modelSelect),
    compareLabel,
    h("p", {}, submit, " ", progress),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!file || !format) return;
    const picked = compareBox.checked && hasDelay ? models.map((m) => m.id) : [modelSelect.value];
    void scoreFile(file, format, picked);
  });

  async function scoreFile(f: File, fileFormat: BatchFormat, ids: string[]): Promise<void> {
    submit.disabled = true;
    progress.hidden = false;
    try {
      for (const [i, model] of ids.entries()) {
        const created = await api.createBatch(fileFormat, f.size, model || undefined);
        say(
          `Uploading ${f.name} for ${created.model.name}@${created.model.version} (${i + 1} of ${ids.length})…`,
        );
        await upload(created, f, (sent, total) => {
          progress.max = total || 1;
          progress.value = sent;
        });
        say(`Uploaded; batch ${short(created.id)} is being scored.`);
      }
      await refresh();
    } catch (err) {
      say(`Could not score ${f.name}: ${(err as Error).message}`);
    } finally {
      submit.disabled = false;
    }
  }

  // ---- Batches -----------------------------------------------------------------------------------------------
  const tbody = h("tbody", { id: "batch-rows" });
  const more = h("button", { type: "button", hidden: true }, "More");
  let nextCursor: string | null = null;
  let shown: BatchSummary[] = [];
  const scopeToggle = admin
    ? h(
        "p",
        {},
        h(
          "label",
          { for: "scope" },
          h("input", {
            type: "checkbox",
            id: "scope",
            onchange: (e: Event) => {
              scope = (e.target as HTMLInputElement).checked ? "all" : "mine";
              void refresh();
            },
          }),
          " Everyone's batches (admins)",
        ),
      )
    : undefined;

  function row(b: BatchSummary): HTMLTableRowElement {
    const errors =
      b.errors.length > 0 || b.failure
        ? h(
            "details",
            {},
            h("summary", {}, b.failure ? "Failed" : `${fmt(b.rows.rejected)} rejected`),
            b.failure ? h("p", {}, b.failure.message) : false,
            b.errors.length > 0
              ? h("ul", {}, ...b.errors.map((e) => h("li", {}, `line ${e.line}: ${e.message}`)))
              : false,
          )
        : "none";
    const actions = h("td", {});
    if (b.status === "succeeded") {
      actions.append(
        h(
          "button",
          { type: "button", "data-action": "download", onclick: () => void download(b) },
          `Download ${short(b.id)}`,
        ),
        " ",
        h(
          "button",
          { type: "button", "data-action": "evaluate", onclick: () => void evaluate(b) },
          `Evaluate ${short(b.id)}`,
        ),
      );
    }
    return h(
      "tr",
      { "data-batch": b.id },
      h("td", {}, h("code", { title: b.id }, short(b.id))),
      h("td", {}, new Date(b.createdAt).toLocaleString()),
      h("td", {}, `${b.model.name}@${b.model.version}`),
      h("td", { class: `status-${b.status}` }, b.status),
      h("td", { class: "num" }, fmt(b.rows.read)),
      h("td", { class: "num" }, fmt(b.rows.scored)),
      h("td", {}, errors),
      actions,
      ...(scope === "all" ? [h("td", {}, h("code", {}, short(b.owner || "none")))] : []),
    );
  }
  const table = h(
    "table",
    { id: "batches" },
    h("caption", {}, "My batches, newest first"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...["Batch", "Created", "Model", "Status", "Rows read", "Scored", "Rejected rows", "Result"].map(
          (t) => h("th", { scope: "col" }, t),
        ),
      ),
    ),
    tbody,
  );

  function draw(): void {
    const caption = table.querySelector("caption") as HTMLElement;
    caption.textContent = scope === "all" ? "Everyone's batches, newest first" : "My batches, newest first";
    const head = table.querySelector("thead tr") as HTMLElement;
    const ownerHead = head.querySelector("[data-owner]");
    if (scope === "all" && !ownerHead) head.append(h("th", { scope: "col", "data-owner": true }, "Owner"));
    if (scope !== "all") ownerHead?.remove();
    tbody.replaceChildren(
      ...(shown.length > 0 ? shown.map(row) : [h("tr", {}, h("td", { colspan: "8" }, "No batches yet."))]),
    );
    more.hidden = !nextCursor;
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  async function refresh(): Promise<void> {
    clearTimeout(timer);
    try {
      const page = await api.batches({ scope });
      shown = page.items;
      nextCursor = page.nextCursor;
      draw();
      const open = shown.filter((b) => b.status === "pending" || b.status === "running");
      if (open.length > 0) {
        const b = open[0] as BatchSummary;
        say(
          `Batch ${short(b.id)} is ${b.status}: ${fmt(b.rows.read)} rows read, ${fmt(b.rows.scored)} scored.`,
        );
        timer = setTimeout(() => void refresh(), 1000);
      }
    } catch (err) {
      say(`Could not list batches: ${(err as Error).message}`);
    }
  }
  more.addEventListener("click", async () => {
    if (!nextCursor) return;
    const page = await api.batches({ scope, cursor: nextCursor });
    shown = [...shown, ...page.items];
    nextCursor = page.nextCursor;
    draw();
  });

  async function download(b: BatchSummary): Promise<void> {
    const full = await api.batch(b.id);
    if (!full.result) return say(`Batch ${short(b.id)} has no result.`);
    // The presigned URL is S3's; a link with `download` would be ignored across origins, so the browser opens it.
    location.assign(full.result.url);
  }

  // ---- Model comparison --------------------------------------------------------------------------------------
  const compare = h("section", { id: "compare-panel", "aria-labelledby": "compare-title", hidden: true });
  async function evaluate(b: BatchSummary): Promise<void> {
    try {
      const full = await api.batch(b.id);
      if (!full.result) return;
      const rows = scoredRows(await (await fetch(full.result.url)).text(), b.format);
      if (rows.length === 0) return say(`Batch ${short(b.id)}: the file has no delay column to compare on.`);
      const label = `${b.model.name}@${b.model.version} (${short(b.id)})`;
      evaluations.set(b.id, {
        label,
        rows: rows.length,
        auc: auc(rows),
        logLoss: logLoss(rows),
        bins: calibration(rows),
      });
      drawComparison();
      say(`Evaluated ${label} on ${fmt(rows.length)} flights.`);
    } catch (err) {
      say(`Could not evaluate ${short(b.id)}: ${(err as Error).message}`);
    }
  }
  const COLORS = ["#1b6ac9", "#c9461b", "#2e8540", "#7a3fbf", "#a66f00"];
  function drawComparison(): void {
    const all = [...evaluations.values()];
    compare.hidden = all.length === 0;
    const size = 260;
    const pad = 30;
    const x = (p: number) => pad + p * (size - 2 * pad);
    const y = (p: number) => size - pad - p * (size - 2 * pad);
    const chart = s(
      "svg",
      {
        viewBox: `0 0 ${size} ${size}`,
        width: size,
        height: size,
        role: "img",
        "aria-labelledby": "cal-title",
      },
      s(
        "title",
        { id: "cal-title" },
        "Calibration: observed delay rate against predicted probability, per model",
      ),
      s("rect", {
        x: pad,
        y: pad,
        width: size - 2 * pad,
        height: size - 2 * pad,
        fill: "none",
        stroke: "#999",
      }),
      s("line", { x1: x(0), y1: y(0), x2: x(1), y2: y(1), stroke: "#999", "stroke-dasharray": "4 3" }),
      s(
        "text",
        { x: size / 2, y: size - 6, "text-anchor": "middle", "font-size": 11 },
        "predicted probability",
      ),
      s(
        "text",
        {
          x: 10,
          y: size / 2,
          "font-size": 11,
          transform: `rotate(-90 10 ${size / 2})`,
          "text-anchor": "middle",
        },
        "observed delayed",
      ),
      ...all.map((e, i) =>
        s("polyline", {
          points: e.bins
            .map((b) => `${x(b.meanPredicted).toFixed(1)},${y(b.observedRate).toFixed(1)}`)
            .join(" "),
          fill: "none",
          stroke: COLORS[i % COLORS.length] as string,
          "stroke-width": 2,
        }),
      ),
    );
    compare.replaceChildren(
      h("h2", { id: "compare-title" }, "Models compared on the delay column"),
      h(
        "table",
        { id: "comparison" },
        h(
          "caption",
          {},
          "Delayed = more than 15 minutes late. Higher AUC ranks flights better; lower log loss is better.",
        ),
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...["Model (batch)", "Flights", "AUC", "Log loss"].map((t) => h("th", { scope: "col" }, t)),
          ),
        ),
        h(
          "tbody",
          {},
          ...all.map((e, i) =>
            h(
              "tr",
              {},
              h(
                "th",
                { scope: "row" },
                h("span", { class: "swatch", style: `background:${COLORS[i % COLORS.length]}` }),
                ` ${e.label}`,
              ),
              h("td", { class: "num" }, fmt(e.rows)),
              h("td", { class: "num", "data-metric": "auc" }, e.auc.toFixed(3)),
              h("td", { class: "num" }, e.logLoss.toFixed(4)),
            ),
          ),
        ),
      ),
      h(
        "figure",
        {},
        chart,
        h(
          "figcaption",
          {},
          "Calibration (10 bins): on the dashed line, predicted probabilities match what happened.",
        ),
      ),
    );
  }

  // ---- Page --------------------------------------------------------------------------------------------------
  app.replaceChildren(
    h(
      "header",
      {},
      h("h1", {}, "Flight delay workbench"),
      h(
        "p",
        {},
        `Signed in as ${session.username}${admin ? " (admin)" : ""}. `,
        h("a", { href: `/${SITE_DOCS_PAGE}` }, "API docs"),
        " ",
        h("button", { type: "button", onclick: () => signOut(config) }, "Sign out"),
      ),
    ),
    h(
      "main",
      {},
      form,
      status,
      h("section", { "aria-label": "Batches" }, h("h2", {}, "Batches"), scopeToggle ?? false, table, more),
      compare,
    ),
  );
  draw();
  void api.models().then(
    (m) => {
      models = m.models.map((x) => ({ id: x.id, champion: x.champion }));
      modelSelect.replaceChildren(
        ...models.map((x) =>
          h("option", { value: x.id, selected: x.champion }, `${x.id}${x.champion ? " (champion)" : ""}`),
        ),
      );
    },
    (err: Error) => say(`Could not list the models: ${err.message}`),
  );
  void refresh();
}

void main().catch((err: Error) => say(`The page could not start: ${err.message}`));
