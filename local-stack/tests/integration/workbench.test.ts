/**
 * The workbench as a person uses it, in Debian's headless Chromium against the real `npm start` (PostgreSQL
 * scratch database): Alice signs in through the local sign-in (authorization code + PKCE), drops a CSV of real
 * flights with a `delay` column, watches it upload and be scored by every model, compares them (AUC, calibration),
 * and downloads a result; Bob, signed in in another browser context, sees none of her batches, and the API answers
 * him 404 for her batch id. The first load stays under 200 KB, the controls have labels and are reachable by
 * keyboard, and the API docs page (Swagger UI, now a page of the site) lists every route and loads nothing from
 * elsewhere.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROUTES, routeKey } from "@sml/contracts/routes";
import { SITE_DOCS_PAGE } from "@sml/contracts/site";
import { createScratchDatabase, freePort, type ScratchDatabase } from "@sml/database/testing";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import {
  freshLocalDir,
  REPO_ROOT,
  removeLocalDir,
  type StackProcess,
  startStackProcess,
} from "../support/local-stack-process";

jest.setTimeout(180_000);

// The page functions below run in the browser; these are their globals there (this project's lib has no DOM).
declare const document: {
  querySelectorAll(selector: string): { length: number };
  getElementById(id: string): unknown;
  activeElement: unknown;
};
type HTMLProgressElement = { hidden: boolean; value: number; max: number };

// Chromium is a system tool (Debian's package): without it this suite is skipped locally with the install
// command, and fails under CI=true (.ci/run installs it).
const CHROMIUM = "/usr/bin/chromium";
const INSTALL_HINT = "apt-get install -y chromium";
const browserAvailable = existsSync(CHROMIUM);
const ci = process.env.CI === "true";
if (!browserAvailable && !ci) {
  console.warn(`Skipping the workbench browser test: ${CHROMIUM} is missing (install it: ${INSTALL_HINT})`);
}

let db: ScratchDatabase;
let localDir: string;
let stack: StackProcess | undefined;
let browser: Browser;
const site = () => (stack as StackProcess).stack.apiUrl;

/** 400 real flights (BTS 2001, vega-datasets) as CSV with their arrival delay, the label the models predict. */
function flightsCsv(): string {
  const { dataDir } = require("@sml/model-training/data") as { dataDir: () => string };
  const flights = (
    JSON.parse(readFileSync(join(dataDir(), "flights-20k.json"), "utf8")) as {
      date: string;
      delay: number;
      origin: string;
      destination: string;
      distance: number;
    }[]
  ).slice(0, 400);
  const rows = flights.map(
    (f, i) =>
      `f${i},${f.origin},${f.destination},${f.date.slice(0, 10).replaceAll("/", "-")}T${f.date.slice(11)}:00,${f.distance},${f.delay}`,
  );
  return ["ref,origin,destination,departure,distance,delay", ...rows].join("\n");
}

async function signIn(context: BrowserContext, user: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${site()}/`);
  await page.getByRole("button", { name: "Sign in" }).click();
  // The local sign-in page (Cognito's hosted page in AWS): a labelled field, reached and sent by keyboard.
  await page.getByLabel("User name").fill(user);
  await page.keyboard.press("Enter");
  await page.getByText(`Signed in as ${user}`).waitFor();
  return page;
}

const launch = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    // The flags Debian's Chromium needs on these machines (closed network, root): no GPU, no background
    // connections to Google's hosts.
    args: [
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });

(browserAvailable || ci ? describe : describe.skip)("the workbench in headless Chromium", () => {
  beforeAll(async () => {
    db = await createScratchDatabase("workbench");
    localDir = freshLocalDir("workbench");
    stack = await startStackProcess({ port: await freePort(), localDir, env: { DATABASE_URL: db.url } });
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await db?.drop();
    removeLocalDir(localDir);
  });

  it(`runs Debian's Chromium at ${CHROMIUM} (install: ${INSTALL_HINT}), which .ci/run installs`, () => {
    expect(readFileSync(join(REPO_ROOT, ".ci", "run"), "utf8")).toMatch(/apt-get install[^\n]*\bchromium\b/);
    expect(existsSync(CHROMIUM)).toBe(true);
  });

  it("loads the page in under 200 KB, all from its own origin", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    let bytes = 0;
    const origins = new Set<string>();
    page.on("response", async (res) => {
      origins.add(new URL(res.url()).origin);
      bytes += (await res.body().catch(() => Buffer.alloc(0))).length;
    });
    await page.goto(`${site()}/`, { waitUntil: "networkidle" });
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThan(200 * 1024);
    expect([...origins]).toEqual([new URL(site()).origin]);
    await context.close();
  });

  it("lets Alice score a file, watch it, compare the models and download a result; Bob sees none of it", async () => {
    const alice = await browser.newContext({ acceptDownloads: true });
    const page = await signIn(alice, "alice");
    const problems: string[] = [];
    page.on("pageerror", (err) => problems.push(String(err)));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    const models = (await (
      await page.request.get(`${site()}/models`, {
        headers: { authorization: (stack as StackProcess).auth("alice").authorization },
      })
    ).json()) as { models: { id: string }[] };

    // Keyboard: the file control is reachable with Tab from the top of the page.
    const fileInput = page.getByLabel(/Drop a CSV or JSON Lines file/);
    let reached = false;
    for (let i = 0; i < 10 && !reached; i++) {
      await page.keyboard.press("Tab");
      reached = await fileInput.evaluate((el) => el === document.activeElement);
    }
    expect(reached).toBe(true);

    await fileInput.setInputFiles({
      name: "flights.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(flightsCsv()),
    });
    await page.getByText("with a delay column").waitFor();
    await expect(page.getByLabel(/compare them on the delay column/).isChecked()).resolves.toBe(true);
    await page.getByRole("button", { name: "Score file" }).click();

    // Upload progress reaches the whole file; then the status line follows the scoring.
    await page.waitForFunction(() => {
      const p = document.getElementById("upload-progress") as HTMLProgressElement | null;
      return p !== null && !p.hidden && p.value > 0 && p.value === p.max;
    });
    const rows = page.locator("#batch-rows tr[data-batch]");
    await expect(rows.count().then(() => rows.first().waitFor())).resolves.toBeUndefined();
    await page.waitForFunction(
      (n) => document.querySelectorAll("#batch-rows tr[data-batch] .status-succeeded").length === n,
      models.models.length,
      { timeout: 120_000 },
    );
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-batch") as string));
    expect(ids).toHaveLength(models.models.length);
    await expect(
      page.locator("#batch-rows tr[data-batch]").first().locator("td").nth(4).textContent(),
    ).resolves.toBe("400");

    // Compare: evaluate each batch; every model gets an AUC better than chance on real flights, and a curve.
    for (const id of ids) await page.getByRole("button", { name: `Evaluate ${id.slice(0, 8)}` }).click();
    await page.waitForFunction(
      (n) => document.querySelectorAll("#comparison tbody tr").length === n,
      ids.length,
    );
    const aucs = (await page.locator('#comparison [data-metric="auc"]').allTextContents()).map(Number);
    for (const a of aucs) expect(a).toBeGreaterThan(0.5);
    await expect(page.locator("#compare-panel svg polyline").count()).resolves.toBe(ids.length);

    // Download: the result file, with the model's columns added to the input's.
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: `Download ${(ids[0] as string).slice(0, 8)}` }).click();
    const text = readFileSync((await (await download).path()) as string, "utf8");
    const [header, ...lines] = text.trimEnd().split("\n");
    expect(header).toBe("ref,origin,destination,departure,distance,delay,delayProbability,delayed");
    expect(lines).toHaveLength(400);
    expect(problems).toEqual([]);

    // Bob: another person, in another browser.
    const bob = await browser.newContext();
    const bobPage = await signIn(bob, "bob");
    await bobPage.getByText("No batches yet.").waitFor();
    for (const id of ids) await expect(bobPage.locator(`[data-batch="${id}"]`).count()).resolves.toBe(0);
    // And the API agrees: with Bob's own token (the page's session), Alice's batch is not found.
    const status = await bobPage.evaluate(async (id) => {
      const token = sessionStorage.getItem("sml.token");
      return (await fetch(`/batches/${id}`, { headers: { authorization: `Bearer ${token}` } })).status;
    }, ids[0] as string);
    expect(status).toBe(404);
    await alice.close();
    await bob.close();
  });

  it("serves the API docs page: Swagger UI lists every route, Try it out calls GET /health, nothing from elsewhere", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on("request", (r) => requested.push(r.url()));
    page.on("pageerror", (err) => problems.push(String(err)));
    await page.goto(`${site()}/${SITE_DOCS_PAGE}`);
    await page.locator(".opblock").first().waitFor();
    const listed = await page
      .locator(".opblock")
      .evaluateAll((blocks) =>
        blocks.map(
          (b) =>
            `${b.querySelector(".opblock-summary-method")?.textContent?.trim()} ${b.querySelector(".opblock-summary-path")?.getAttribute("data-path")}`,
        ),
      );
    expect(listed.sort()).toEqual(ROUTES.map(routeKey).sort());
    expect(await page.locator(".errors-wrapper").allTextContents()).toEqual([]);
    const health = page.locator(".opblock", {
      has: page.locator('.opblock-summary-path[data-path="/health"]'),
    });
    await health.locator(".opblock-summary").click();
    await health.getByRole("button", { name: "Try it out" }).click();
    await health.getByRole("button", { name: "Execute" }).click();
    const status = health.locator(".live-responses-table .response .response-col_status").first();
    await status.waitFor();
    expect((await status.textContent())?.trim()).toBe("200");
    const origin = new URL(site()).origin;
    expect(requested.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
