// End-to-end tests of the dashboard in Chromium against one fresh server.
// The first test creates the first superuser through the setup screen; the
// others sign in with its token in a fresh browser context each and make
// their own collections, so they do not depend on one another's data. The
// last tests check what every earlier one left behind.

import { createHmac } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { startServe, type Serve } from "../test/serve";
import {
  HANG_GUARD_MS,
  api,
  close,
  createCollection,
  createRecord,
  eventually,
  expectClientError,
  gone,
  horizontalOverflow,
  launch,
  listRecords,
  open,
  problems,
  screenshot,
  server,
  setCurrentTest,
  superuser,
  token,
  unexpectedClientErrors,
  uniqueName,
  visible,
} from "./harness";
import type { Locator, Page } from "playwright-core";
import { autodates, fieldRow, gridColumn, heading, screens, show, sortState, withPage } from "./pages";
import { noisePNG, solidPNG } from "./png";
import { startSmtpSink } from "./smtp";

beforeAll(launch, 90_000);
afterAll(close, 90_000);
beforeEach((ctx) => setCurrentTest(ctx.task.name));

describe("first run", () => {
  test("1. setup creates the superuser; sign out; sign in", async () => {
    const { setupLink } = server();
    await withPage({}, async (page) => {
      await page.goto(setupLink);
      await visible(page.getByRole("heading", { name: "Create the first superuser" }));
      await page.getByLabel("Email").fill(superuser.email);
      await page.getByLabel("Password", { exact: true }).fill(superuser.password);
      const submit = page.getByRole("button", { name: "Create superuser and sign in" });

      // Passwords that differ are caught before anything is sent.
      await page.getByLabel("Confirm password").fill(superuser.password + "x");
      await visible(page.getByText("The passwords do not match."));
      await eventually(() => submit.isDisabled(), true);

      await page.getByLabel("Confirm password").fill(superuser.password);
      await gone(page.getByText("The passwords do not match."));
      await submit.click();

      // Signed in on the home screen, as the new superuser.
      await visible(page.getByRole("heading", { name: "Collections", level: 1 }));
      await visible(page.getByRole("status").filter({ hasText: "Superuser created" }));
      await visible(page.getByText(superuser.email));
      expect(new URL(page.url()).hash).toBe("#/");

      // Still signed in after a reload.
      await page.reload();
      await visible(page.getByRole("heading", { name: "Collections", level: 1 }));

      await page.getByRole("button", { name: "Sign out" }).click();
      await visible(page.getByRole("heading", { name: "Sign in as a superuser" }));

      // A wrong password is refused with the server's message.
      expectClientError(/^POST \/api\/collections\/_superusers\/auth-with-password: 400$/);
      await page.getByLabel("Email").fill(superuser.email);
      await page.getByLabel("Password").fill(superuser.password + "-wrong");
      const refused = page.waitForResponse((r) => r.url().includes("/auth-with-password"));
      await page.getByRole("button", { name: "Sign in" }).click();
      expect((await refused).status()).toBe(400);
      const alert = await visible(page.getByRole("alert"));
      expect((await alert.textContent())?.trim()).not.toBe("");
      await expect(page.getByRole("heading", { name: "Sign in as a superuser" }).isVisible()).resolves.toBe(true);

      // The right one signs in.
      await page.getByLabel("Password").fill(superuser.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await visible(page.getByRole("heading", { name: "Collections", level: 1 }));
      await gone(page.getByRole("alert"));
    });

    // The setup link works once only.
    expectClientError(/^POST \/api\/setup: 403$/);
    await withPage({}, async (page) => {
      await page.goto(setupLink);
      await page.getByLabel("Email").fill("second@example.com");
      await page.getByLabel("Password", { exact: true }).fill("another-password");
      await page.getByLabel("Confirm password").fill("another-password");
      await page.getByRole("button", { name: "Create superuser and sign in" }).click();
      await visible(page.getByRole("alert"));
      await expect(page.getByRole("heading", { name: "Create the first superuser" }).isVisible()).resolves.toBe(true);
    });
  });
});

describe("schema designer", () => {
  test("2. create a collection with text, number, select and relation fields", async () => {
    const name = uniqueName("articles");
    const users = await api("GET", "/api/collections/users", undefined, await token());
    await withPage({ signedIn: true }, async (page) => {
      await open(page, "#/");
      await page.getByRole("main").getByRole("link", { name: "+ New collection" }).click();
      await visible(page.getByRole("heading", { name: "New collection", level: 1 }));
      await page.getByLabel("Name", { exact: true }).fill(name);
      await expect(page.getByRole("radio", { name: /Base/ }).isChecked()).resolves.toBe(true);

      const addField = async (type: string, fieldName: string) => {
        await page.getByRole("button", { name: "+ Add field" }).click();
        await page.getByRole("group", { name: "Field types" }).getByRole("button", { name: type, exact: true }).click();
        const row = fieldRow(page, "field");
        await row.getByRole("textbox", { name: /^Name of field/ }).fill(fieldName);
        const renamed = fieldRow(page, fieldName);
        await visible(renamed);
        return renamed;
      };

      const title = await addField("Plain text", "title");
      await title.getByRole("checkbox", { name: "Required" }).check();
      await addField("Number", "views");
      const status = await addField("Select", "status");
      await status.getByRole("textbox", { name: /^Choices/ }).fill("draft, published, archived");
      await status.getByRole("textbox", { name: /^Choices/ }).press("Tab");
      const author = await addField("Relation", "author");
      await author.getByRole("combobox", { name: /^Collection/ }).selectOption({ label: "users" });

      await page.getByRole("button", { name: "Review and create" }).click();
      const dialog = await visible(page.getByRole("dialog", { name: "Create the collection" }));
      expect(await dialog.getByRole("listitem").count()).toBeGreaterThan(0);
      await expect(dialog.getByText("will lose existing data").count()).resolves.toBe(0);
      await dialog.getByRole("button", { name: /^Create \d+ steps?$/ }).click();

      await gone(dialog);
      await visible(page.getByRole("status").filter({ hasText: `Saved “${name}”` }));
      await visible(page.getByRole("heading", { name, level: 1 }));
      await eventually(() => new URL(page.url()).hash, `#/collections/${name}/schema`);
      await visible(page.getByRole("navigation", { name: "Collections" }).getByRole("link", { name }));
    });

    const c = await api("GET", `/api/collections/${name}`, undefined, await token());
    const byName = Object.fromEntries(c.fields.map((f: any) => [f.name, f]));
    expect(byName.title).toMatchObject({ type: "text", required: true });
    expect(byName.views).toMatchObject({ type: "number" });
    expect(byName.status).toMatchObject({ type: "select", values: ["draft", "published", "archived"], maxSelect: 1 });
    expect(byName.author).toMatchObject({ type: "relation", collectionId: users.id, maxSelect: 1 });
    // The new fields come before the automatic dates, in the order added.
    expect(c.fields.map((f: any) => f.name)).toEqual(["id", "title", "views", "status", "author", "created", "updated"]);
  });

  test("4. renaming a field keeps its data", async () => {
    const name = uniqueName("renames");
    await createCollection({ name, fields: [{ name: "title", type: "text" }, { name: "views", type: "number" }, ...autodates] });
    const a = await createRecord(name, { title: "Hello", views: 3 });
    const b = await createRecord(name, { title: "World", views: 5 });

    await withPage({ signedIn: true }, async (page) => {
      await open(page, `#/collections/${name}/schema`);
      const row = await visible(fieldRow(page, "title"));
      await row.getByRole("textbox", { name: /^Name of field/ }).fill("headline");
      await visible(fieldRow(page, "headline"));
      await page.getByRole("button", { name: "Review and save" }).click();

      const dialog = await visible(page.getByRole("dialog", { name: "Apply the schema change" }));
      await visible(dialog.getByText(/headline/).first());
      await expect(dialog.getByText("will lose existing data").count()).resolves.toBe(0);
      const confirm = dialog.getByRole("button", { name: /^Apply/ });
      expect(await confirm.textContent()).not.toMatch(/lose data/);
      await confirm.click();
      await gone(dialog);
      await visible(page.getByRole("status").filter({ hasText: `Saved “${name}”` }));
      await visible(page.getByText("No changes"));

      // The grid shows the values under the new name.
      await page.getByRole("link", { name: "Records", exact: true }).click();
      await eventually(async () => (await gridColumn(page, "headline"))?.sort(), ["Hello", "World"]);
      expect(await page.getByRole("columnheader", { name: "title" }).count()).toBe(0);
    });

    const records = await listRecords(name, "sort=views");
    expect(records.map((r) => [r.id, r.headline, r.views])).toEqual([
      [a.id, "Hello", 3],
      [b.id, "World", 5],
    ]);
    expect(records.every((r) => !("title" in r))).toBe(true);
  });

  test("5. a type change that cannot convert shows the data-loss warning first", async () => {
    const name = uniqueName("amounts");
    await createCollection({ name, fields: [{ name: "amount", type: "text" }] });
    const good = await createRecord(name, { amount: "12" });
    const bad = await createRecord(name, { amount: "abc" });

    await withPage({ signedIn: true }, async (page) => {
      await open(page, `#/collections/${name}/schema`);
      const row = await visible(fieldRow(page, "amount"));
      await row.getByRole("button", { name: "Options" }).click();
      await row.getByRole("combobox", { name: /^Type/ }).selectOption({ label: "Number" });
      await page.getByRole("button", { name: "Review and save" }).click();

      let dialog = await visible(page.getByRole("dialog", { name: "Apply the schema change" }));
      await visible(dialog.getByRole("alert").filter({ hasText: "1 step will lose existing data" }));
      await visible(dialog.getByRole("button", { name: "Apply and lose data (1 record)" }));

      // Cancelling changes nothing.
      await dialog.getByRole("button", { name: "Cancel" }).click();
      await gone(dialog);
      expect((await listRecords(name, "sort=amount")).map((r) => r.amount)).toEqual(["12", "abc"]);

      await page.getByRole("button", { name: "Review and save" }).click();
      dialog = await visible(page.getByRole("dialog", { name: "Apply the schema change" }));
      await dialog.getByRole("button", { name: "Apply and lose data (1 record)" }).click();
      await gone(dialog);
      await visible(page.getByRole("status").filter({ hasText: `Saved “${name}”` }));
    });

    const c = await api("GET", `/api/collections/${name}`, undefined, await token());
    expect(c.fields.find((f: any) => f.name === "amount")?.type).toBe("number");
    const after = Object.fromEntries((await listRecords(name)).map((r) => [r.id, r.amount]));
    expect(after[good.id]).toBe(12);
    // The value that could not convert is gone (the number default).
    expect(after[bad.id]).not.toBe("abc");
    expect([0, null]).toContain(after[bad.id]);
  });

  test("5a. an option the server refuses shows its message under that option's input", async () => {
    const name = uniqueName("refused");
    expectClientError(/^POST \/api\/collections\?dryRun=1: 400$/);
    await withPage({ signedIn: true }, async (page) => {
      await open(page, "#/new-collection");
      await page.getByLabel("Name", { exact: true }).fill(name);
      const addField = async (type: string, fieldName: string) => {
        await page.getByRole("button", { name: "+ Add field" }).click();
        await page.getByRole("group", { name: "Field types" }).getByRole("button", { name: type, exact: true }).click();
        await fieldRow(page, "field").getByRole("textbox", { name: /^Name of field/ }).fill(fieldName);
        return visible(fieldRow(page, fieldName));
      };
      // A number whose min is above its max, a select with no choices and
      // a relation without a target.
      const views = await addField("Number", "views");
      await views.getByRole("spinbutton", { name: "Min", exact: true }).fill("5");
      await views.getByRole("spinbutton", { name: "Max", exact: true }).fill("1");
      const status = await addField("Select", "status");
      const author = await addField("Relation", "author");

      const refused = page.waitForResponse((r) => r.url().includes("/api/collections?") && r.request().method() === "POST");
      await page.getByRole("button", { name: "Review and create" }).click();
      expect((await refused).status()).toBe(400);

      // Each message is under its input and describes it.
      const under = async (input: Locator, message: string | RegExp) => {
        await eventually(() => input.getAttribute("aria-invalid"), "true");
        const id = await input.getAttribute("aria-describedby");
        expect(id).toBeTruthy();
        const note = page.locator(`[id="${id}"]`);
        expect(await note.textContent()).toMatch(message);
        // Below the input, in the same option.
        const [a, b] = [await input.boundingBox(), await note.boundingBox()];
        expect(b!.y).toBeGreaterThanOrEqual(a!.y + a!.height - 1);
        expect(b!.x).toBeLessThan(a!.x + a!.width);
      };
      const min = views.getByRole("spinbutton", { name: "Min", exact: true });
      await under(min, "min must be at most max.");
      expect(await views.getByRole("spinbutton", { name: "Max", exact: true }).getAttribute("aria-invalid")).toBeNull();
      await under(status.getByRole("textbox", { name: "Choices", exact: true }), "values must list at least one choice.");
      await under(author.getByRole("combobox", { name: "Collection", exact: true }), /^Unknown target collection/);
      // The banner names them too.
      await visible(page.getByRole("alert").filter({ hasText: 'Field "views" (min): min must be at most max.' }));

      // Fixed, the collection is created.
      await min.fill("0");
      await status.getByRole("textbox", { name: "Choices", exact: true }).fill("draft, live");
      await status.getByRole("textbox", { name: "Choices", exact: true }).press("Tab");
      await author.getByRole("combobox", { name: "Collection", exact: true }).selectOption({ label: "users" });
      await page.getByRole("button", { name: "Review and create" }).click();
      const dialog = await visible(page.getByRole("dialog", { name: "Create the collection" }));
      await dialog.getByRole("button", { name: /^Create \d+ steps?$/ }).click();
      await gone(dialog);
      await visible(page.getByRole("status").filter({ hasText: `Saved “${name}”` }));
      expect(await page.locator('[aria-invalid="true"]').count()).toBe(0);
    });

    const c = await api("GET", `/api/collections/${name}`, undefined, await token());
    const byName = Object.fromEntries(c.fields.map((f: any) => [f.name, f]));
    expect(byName.views).toMatchObject({ min: 0, max: 1 });
    expect(byName.status).toMatchObject({ values: ["draft", "live"] });
  });

  test("5e. the designer adds file fields with their options", async () => {
    const name = uniqueName("media");
    await withPage({ signedIn: true }, async (page) => {
      await open(page, "#/new-collection");
      await page.getByLabel("Name", { exact: true }).fill(name);
      const addField = async (type: string, fieldName: string) => {
        await page.getByRole("button", { name: "+ Add field" }).click();
        await page.getByRole("group", { name: "Field types" }).getByRole("button", { name: type, exact: true }).click();
        await fieldRow(page, "field").getByRole("textbox", { name: /^Name of field/ }).fill(fieldName);
        return visible(fieldRow(page, fieldName));
      };
      const photos = await addField("File", "photos");
      await photos.getByRole("checkbox", { name: "Multiple files" }).check();
      await photos.getByRole("spinbutton", { name: "Max files", exact: true }).fill("4");
      await photos.getByRole("group", { name: "MIME type presets" }).getByRole("button", { name: "Images", exact: true }).click();
      const thumbs = photos.getByRole("textbox", { name: "Thumb sizes", exact: true });
      // A size PocketBase would refuse is pointed out before saving.
      await thumbs.fill("50x50, 12xx");
      await thumbs.press("Tab");
      await visible(photos.getByText(/^Not a thumb size: 12xx/));
      await eventually(() => thumbs.getAttribute("aria-invalid"), "true");
      await thumbs.fill("50x50, 0x80f");
      await thumbs.press("Tab");
      await gone(photos.getByText(/^Not a thumb size/));

      const doc = await addField("File", "doc");
      await doc.getByRole("spinbutton", { name: "Max size (bytes)", exact: true }).fill("1048576");
      await doc.getByRole("checkbox", { name: /^Protected/ }).check();

      await page.getByRole("button", { name: "Review and create" }).click();
      const dialog = await visible(page.getByRole("dialog", { name: "Create the collection" }));
      await dialog.getByRole("button", { name: /^Create \d+ steps?$/ }).click();
      await gone(dialog);
      await visible(page.getByRole("status").filter({ hasText: `Saved “${name}”` }));
    });

    const c = await api("GET", `/api/collections/${name}`, undefined, await token());
    const byName = Object.fromEntries(c.fields.map((f: any) => [f.name, f]));
    expect(byName.photos).toMatchObject({
      type: "file",
      maxSelect: 4,
      mimeTypes: ["image/jpeg", "image/png", "image/svg+xml", "image/gif", "image/webp"],
      thumbs: ["50x50", "0x80f"],
      protected: false,
    });
    expect(byName.doc).toMatchObject({ type: "file", maxSelect: 1, maxSize: 1048576, protected: true });
  });

  test("5c. unsaved schema edits hold a move to another collection until discarded", async () => {
    const edited = uniqueName("drafts");
    const other = uniqueName("others");
    await createCollection({ name: edited, fields: [{ name: "title", type: "text" }, ...autodates] });
    await createCollection({ name: other, fields: [{ name: "body", type: "text" }, ...autodates] });
    const designer = `#/collections/${edited}/schema`;
    const hash = (page: Page) => new URL(page.url()).hash;

    await withPage({ signedIn: true }, async (page) => {
      await open(page, designer);
      const sidebar = page.getByRole("navigation", { name: "Collections" });
      const rename = async () => {
        await (await visible(fieldRow(page, "title"))).getByRole("textbox", { name: /^Name of field/ }).fill("headline");
        await visible(fieldRow(page, "headline"));
        await visible(page.getByText("Unsaved changes", { exact: true }));
      };
      await rename();

      // Another collection in the sidebar asks first and stays put.
      await sidebar.getByRole("link", { name: other }).click();
      const question = await visible(page.getByRole("alert").filter({ hasText: "Discard unsaved changes?" }));
      await eventually(() => hash(page), designer);
      await page.getByRole("button", { name: "Keep editing" }).click();
      await gone(question);
      await visible(fieldRow(page, "headline"));
      await visible(page.getByText("Unsaved changes", { exact: true }));
      expect(hash(page)).toBe(designer);
      await heading(page, edited, 1);

      // Asked again, Discard makes the move.
      await sidebar.getByRole("link", { name: other }).click();
      await visible(question);
      await eventually(() => hash(page), designer);
      await page.getByRole("button", { name: "Discard", exact: true }).click();
      await eventually(() => hash(page), `#/collections/${other}`);
      await heading(page, other, 1);
      await visible(page.getByText("No records yet"));

      // Back to the designer; the designer's own Discard leaves nothing to ask about.
      await page.goBack();
      await eventually(() => hash(page), designer);
      await rename();
      await page.getByRole("button", { name: "Discard", exact: true }).click();
      await visible(page.getByText("No changes", { exact: true }));
      await sidebar.getByRole("link", { name: other }).click();
      await eventually(() => hash(page), `#/collections/${other}`);
      await heading(page, other, 1);
      await visible(page.getByText("No records yet"));

      // Nor does a saved change.
      await page.goBack();
      await eventually(() => hash(page), designer);
      await rename();
      await page.getByRole("button", { name: "Review and save" }).click();
      const dialog = await visible(page.getByRole("dialog", { name: "Apply the schema change" }));
      await dialog.getByRole("button", { name: /^Apply/ }).click();
      await gone(dialog);
      await visible(page.getByText("No changes", { exact: true }));
      await sidebar.getByRole("link", { name: other }).click();
      await eventually(() => hash(page), `#/collections/${other}`);
      await heading(page, other, 1);
      await visible(page.getByText("No records yet"));
      expect(await page.getByText("Discard unsaved changes?").count()).toBe(0);
    });

    const c = await api("GET", `/api/collections/${edited}`, undefined, await token());
    expect(c.fields.map((f: any) => f.name)).toEqual(["id", "headline", "created", "updated"]);
  });
});

describe("auth options", () => {
  test("5d. a superuser enables OTP with 6 digits on users; auth-methods then offers it; rules complete @request", async () => {
    const su = await token();
    const before = await api("GET", "/api/collections/users", undefined, su);
    try {
      await withPage({ signedIn: true }, async (page) => {
        await open(page, "#/collections/users/schema");
        const otp = await visible(page.getByRole("group", { name: "One-time password (OTP)" }));
        const mfa = page.getByRole("group", { name: "Multi-factor authentication (MFA)" });
        await visible(page.getByRole("group", { name: "Login alerts" }));

        // MFA alone is refused before the server is asked: one method only.
        await mfa.getByRole("checkbox", { name: "Enabled" }).check();
        await visible(mfa.getByText(/MFA needs at least two sign-in methods/));
        await mfa.getByRole("checkbox", { name: "Enabled" }).uncheck();

        await otp.getByRole("checkbox", { name: "Enabled" }).check();
        const length = otp.getByRole("spinbutton", { name: "Code length (digits)" });
        await length.fill("6");
        await expect(otp.getByRole("spinbutton", { name: "Code valid for (seconds)" }).inputValue()).resolves.toBe("180");
        await visible(otp.getByText("3 minutes"));
        await otp.scrollIntoViewIfNeeded();
        await screenshot(page, "auth-options-otp");

        // A rule's filter completes the request values.
        const mode = page.getByRole("combobox", { name: "List", exact: true });
        await mode.selectOption({ label: "Matching a filter" });
        const filter = await visible(page.getByRole("combobox", { name: "Filter (List)" }));
        await filter.fill("");
        await filter.pressSequentially("@request.");
        const options = page.getByRole("listbox", { name: "Suggestions" }).getByRole("option");
        await visible(options.filter({ hasText: "body." }));
        await visible(options.filter({ hasText: "context" }));
        await screenshot(page, "rule-autocomplete");
        await filter.press("Escape");
        await filter.fill("");
        await mode.selectOption({ label: before.listRule === null ? "Superusers only" : before.listRule === "" ? "Everyone" : "Matching a filter" });
        if (before.listRule) await filter.fill(before.listRule);

        await page.getByRole("button", { name: "Review and save" }).click();
        const dialog = await visible(page.getByRole("dialog", { name: "Apply the schema change" }));
        await dialog.getByRole("button", { name: /^Apply/ }).click();
        await gone(dialog);
        await visible(page.getByRole("status").filter({ hasText: "Saved “users”" }));
        await visible(page.getByText("No changes"));
        await expect(length.inputValue()).resolves.toBe("6");

        // What an app sees: the public auth-methods of users, read by the page.
        const methods = await page.evaluate(async () => (await fetch("/api/collections/users/auth-methods")).json());
        expect(methods.otp).toEqual({ enabled: true, duration: 180 });
        expect(methods.mfa.enabled).toBe(false);
      });
      const after = await api("GET", "/api/collections/users", undefined, su);
      expect(after.otp).toMatchObject({ enabled: true, length: 6, duration: 180 });
      expect(after.listRule).toBe(before.listRule);
    } finally {
      await api("PATCH", "/api/collections/users", { otp: before.otp, mfa: before.mfa }, su);
    }
  });
});

describe("view collections", () => {
  test("5b. a view's query shows its fields and first rows before it is saved", async () => {
    const source = uniqueName("scores");
    await createCollection({ name: source, fields: [{ name: "player", type: "text" }, { name: "points", type: "number" }] });
    await createRecord(source, { player: "ada", points: 7 });
    await createRecord(source, { player: "bob", points: 3 });
    await withPage({ signedIn: true }, async (page) => {
      await open(page, "#/new-collection?type=view");
      await page.getByLabel("Name", { exact: true }).fill(uniqueName("leaders"));
      await page.getByRole("textbox", { name: /^SELECT query/ }).fill(`SELECT id, player, points * 2 AS doubled FROM ${source} WHERE points > 5`);
      const rows = await visible(page.getByRole("region", { name: "First rows" }));
      await visible(rows.getByRole("cell", { name: "ada" }));
      await expect(rows.getByRole("cell", { name: "14" }).count()).resolves.toBe(1);
      await expect(rows.getByRole("cell", { name: "bob" }).count()).resolves.toBe(0);
      await visible(page.getByRole("columnheader", { name: "doubled" }));
    });
  });
});

describe("data browser", () => {
  test("3. add records in the editor; filter; sort; a bad filter shows its error", async () => {
    const name = uniqueName("tasks");
    await createCollection({
      name,
      fields: [
        { name: "title", type: "text", required: true },
        { name: "points", type: "number" },
        { name: "state", type: "select", values: ["todo", "doing", "done"], maxSelect: 1 },
        ...autodates,
      ],
    });
    const rows = [
      { title: "Write tests", points: 5, state: "doing" },
      { title: "Fix bug", points: 2, state: "todo" },
      { title: "Ship it", points: 8, state: "done" },
    ];

    await withPage({ signedIn: true }, async (page) => {
      await open(page, `#/collections/${name}`);
      await visible(page.getByText("No records yet"));

      for (const r of rows) {
        await page.getByRole("button", { name: "New record" }).first().click();
        const dialog = await visible(page.getByRole("dialog", { name: `New ${name} record` }));
        await dialog.getByRole("textbox", { name: "title", exact: true }).fill(r.title);
        await dialog.getByRole("spinbutton", { name: "points", exact: true }).fill(String(r.points));
        await dialog.getByRole("button", { name: r.state, exact: true }).click();
        await eventually(() => dialog.getByRole("button", { name: r.state, exact: true }).getAttribute("aria-pressed"), "true");
        await dialog.getByRole("button", { name: "Create", exact: true }).click();
        await gone(dialog);
        await visible(page.getByRole("cell", { name: r.title, exact: true }));
      }
      await visible(page.getByText("3 records", { exact: true }));
      // Newest first.
      await eventually(() => gridColumn(page, "title"), ["Ship it", "Fix bug", "Write tests"]);

      // The filter bar narrows the grid.
      const filter = page.getByRole("combobox", { name: "Filter" });
      await filter.fill("points > 3");
      await filter.press("Enter");
      await eventually(() => gridColumn(page, "title"), ["Ship it", "Write tests"]);
      await visible(page.getByText("2 records", { exact: true }));

      // A column header sorts: ascending, then descending.
      await page.getByRole("columnheader").getByRole("button", { name: "points", exact: true }).click();
      await eventually(() => sortState(page, "points"), "ascending");
      await eventually(() => gridColumn(page, "title"), ["Write tests", "Ship it"]);
      await page.getByRole("columnheader").getByRole("button", { name: "points", exact: true }).click();
      await eventually(() => sortState(page, "points"), "descending");
      await eventually(() => gridColumn(page, "title"), ["Ship it", "Write tests"]);

      // A filter the server refuses shows its message under the bar.
      expectClientError(new RegExp(`^GET /api/collections/${name}/records\\?.*filter=points\\+%3E%3E%3E\\+3.*: 400$`));
      await filter.fill("points >>> 3");
      const refused = page.waitForResponse((r) => r.url().includes(`/api/collections/${name}/records`) && r.status() === 400);
      await filter.press("Enter");
      await refused;
      const error = await visible(page.getByRole("alert").filter({ hasNot: page.getByRole("button") }).first());
      expect((await error.textContent())?.trim()).not.toBe("");
      await eventually(() => filter.getAttribute("aria-invalid"), "true");
      const describedBy = await filter.getAttribute("aria-describedby");
      expect(describedBy).toBeTruthy();
      expect(await error.getAttribute("id")).toBe(describedBy);

      // Clearing it brings every record back (still sorted by points, descending).
      await page.getByRole("button", { name: "Clear the filter" }).click();
      await gone(page.locator(`#${describedBy}`));
      await eventually(() => gridColumn(page, "title"), ["Ship it", "Write tests", "Fix bug"]);

      // A row opens in the editor; a change is saved and shown.
      await page.getByRole("row").filter({ hasText: "Fix bug" }).getByRole("button", { name: /^Open / }).click();
      const dialog = await visible(page.getByRole("dialog", { name: "Edit record" }));
      await eventually(() => dialog.getByRole("textbox", { name: "title", exact: true }).inputValue(), "Fix bug");
      await dialog.getByRole("spinbutton", { name: "points", exact: true }).fill("3");
      await dialog.getByRole("button", { name: "Save", exact: true }).click();
      await gone(dialog);
      await eventually(() => gridColumn(page, "points"), ["8", "5", "3"]);
    });

    const saved = await listRecords(name, "sort=points");
    expect(saved.map((r) => [r.title, r.points, r.state])).toEqual([
      ["Fix bug", 3, "todo"],
      ["Write tests", 5, "doing"],
      ["Ship it", 8, "done"],
    ]);
  });

  test("6. a record created through the API appears in an open grid without reload", async () => {
    const name = uniqueName("feed");
    await createCollection({ name, fields: [{ name: "title", type: "text" }, { name: "n", type: "number" }, ...autodates] });
    await createRecord(name, { title: "first", n: 1 });

    await withPage({ signedIn: true }, async (page) => {
      await open(page, `#/collections/${name}`);
      await eventually(() => gridColumn(page, "title"), ["first"]);
      await visible(page.getByText("Live", { exact: true }));
      // A reload would lose this mark.
      await page.evaluate(() => ((window as any).__e2eMark = "kept"));

      const second = await createRecord(name, { title: "second", n: 2 });
      await eventually(() => gridColumn(page, "title"), ["second", "first"]);

      await api("PATCH", `/api/collections/${name}/records/${second.id}`, { title: "second, edited" }, await token());
      await eventually(() => gridColumn(page, "title"), ["second, edited", "first"]);

      await api("DELETE", `/api/collections/${name}/records/${second.id}`, undefined, await token(), 204);
      await eventually(() => gridColumn(page, "title"), ["first"]);

      // Sorted by another column, a new record is announced, not inserted.
      const sorted = page.waitForResponse((r) => r.url().includes(`/api/collections/${name}/records?`) && new URL(r.url()).searchParams.get("sort") === "n");
      await page.getByRole("columnheader").getByRole("button", { name: "n", exact: true }).click();
      await sorted;
      await eventually(() => sortState(page, "n"), "ascending");
      await gone(page.locator('main [aria-busy="true"]'));
      await createRecord(name, { title: "third", n: 0 });
      const notice = await visible(page.getByRole("status").filter({ hasText: "1 new record" }));
      expect(await gridColumn(page, "title")).toEqual(["first"]);
      await notice.getByRole("button", { name: "Refresh" }).click();
      await eventually(() => gridColumn(page, "title"), ["third", "first"]);
      await gone(notice);

      expect(await page.evaluate(() => (window as any).__e2eMark)).toBe("kept");
    });
  });

  test("6c. file fields: images picked and dropped show thumbnails, uploads show progress, a refused file shows the server's error, files reorder and are removed", async () => {
    const name = uniqueName("albums");
    await createCollection({
      name,
      fields: [
        { name: "title", type: "text" },
        { name: "photos", type: "file", maxSelect: 3, mimeTypes: ["image/png"] },
        { name: "doc", type: "file", maxSelect: 1, maxSize: 64, protected: true },
        { name: "cover", type: "file", maxSelect: 1, protected: true },
        ...autodates,
      ],
    });
    // Random pixels, so that it weighs about 200 KB and its upload takes a while when throttled.
    const red = noisePNG(256, 256);
    const blue = solidPNG(64, 64, [30, 60, 220]);
    // The first save sends a document over the field's 64 bytes.
    expectClientError(new RegExp(`^POST /api/collections/${name}/records: 400$`));

    /** loadedImage waits until the image named alt inside scope has loaded, and returns its address. */
    const loadedImage = async (scope: Locator, alt: string) => {
      const img = scope.locator(`img[alt="${alt}"]`);
      await visible(img);
      await eventually(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0), true, `image ${alt} loads`);
      return (await img.getAttribute("src")) ?? "";
    };

    let id = "";
    await withPage({ signedIn: true }, async (page) => {
      await open(page, `#/collections/${name}`);
      await visible(page.getByText("No records yet"));
      await page.getByRole("button", { name: "New record" }).first().click();
      const dialog = await visible(page.getByRole("dialog", { name: `New ${name} record` }));
      await dialog.getByRole("textbox", { name: "title", exact: true }).fill("Trip");

      /** drop drops files on the field named field, as a drag from the desktop would. */
      const drop = (field: string, files: { name: string; bytes: Buffer }[]) =>
        page.evaluate(
          ({ field, files }) => {
            const zone = document.getElementById(`rec-${field}-group`)!;
            const dt = new DataTransfer();
            for (const f of files) dt.items.add(new File([new Uint8Array(f.bytes)], f.name, { type: "image/png" }));
            for (const type of ["dragenter", "dragover", "drop"]) {
              zone.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt }));
            }
          },
          { field, files: files.map((f) => ({ name: f.name, bytes: [...f.bytes] })) },
        );

      // One image through the picker, two dropped on the field.
      await dialog.locator("#rec-photos").setInputFiles({ name: "red.png", mimeType: "image/png", buffer: red });
      await loadedImage(dialog, "red.png");
      await dialog.locator("#rec-cover").setInputFiles({ name: "cover.png", mimeType: "image/png", buffer: solidPNG(40, 30, [20, 160, 60]) });
      await loadedImage(dialog, "cover.png");
      await drop("photos", [
        { name: "blue.png", bytes: blue },
        { name: "green.png", bytes: solidPNG(32, 48, [40, 200, 90]) },
      ]);
      await loadedImage(dialog, "blue.png");
      await loadedImage(dialog, "green.png");
      // Full at maxSelect: the picker is off, and a file dropped beyond it is left out.
      await visible(dialog.getByText("3 of at most 3"));
      await eventually(() => dialog.getByRole("button", { name: "Add files" }).isDisabled(), true);
      await drop("photos", [{ name: "extra.png", bytes: blue }]);
      await visible(dialog.getByText("At most 3 files: 1 was left out."));
      expect(await dialog.locator('img[alt="extra.png"]').count()).toBe(0);

      // The new files count as unsaved changes.
      await dialog.getByRole("button", { name: "Close", exact: true }).click();
      await visible(dialog.getByText("Discard unsaved changes?"));
      await dialog.getByRole("button", { name: "Keep editing" }).click();

      // A document over the limit: noted at once, refused by the server, whose message shows under the field.
      await dialog.locator("#rec-doc").setInputFiles({ name: "big.txt", mimeType: "text/plain", buffer: Buffer.alloc(200, "a") });
      await visible(dialog.getByText("Larger than the limit of 64 B."));
      // Uploads slowed down to about 100 KB/s, the save shows its progress.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 100 * 1024 });
      await dialog.getByRole("button", { name: "Create", exact: true }).click();
      const progress = await visible(dialog.getByRole("progressbar", { name: "Upload progress" }));
      await eventually(async () => Number(await progress.getAttribute("value")) > 0, true, "upload progress moves");
      await screenshot(page, "record-files-uploading");
      const docError = await visible(dialog.locator("#rec-doc-error"));
      await gone(progress);
      await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      expect((await docError.textContent())?.trim()).not.toBe("");
      await eventually(() => dialog.locator("#rec-doc-group").getAttribute("aria-describedby"), "rec-doc-error");
      // Replaced by a small one, the record is created.
      await dialog.getByRole("button", { name: "Remove big.txt" }).click();
      await gone(docError);
      await dialog.locator("#rec-doc").setInputFiles({ name: "note.txt", mimeType: "text/plain", buffer: Buffer.from("a short note") });
      await dialog.getByRole("button", { name: "Create", exact: true }).click();
      await gone(dialog);

      const [created] = await listRecords(name);
      id = created.id;
      // The other values went beside the files, as @jsonPayload.
      expect(created.title).toBe("Trip");
      expect(created.photos).toHaveLength(3);
      expect(created.photos[0]).toMatch(/^red\w*\.png$/);
      expect(created.photos[1]).toMatch(/^blue\w*\.png$/);
      expect(created.photos[2]).toMatch(/^green\w*\.png$/);
      expect(created.doc).toMatch(/^note\w*\.txt$/);
      expect(created.cover).toMatch(/^cover\w*\.png$/);
      const [redName, blueName, greenName] = created.photos as string[];
      const photoOrder = (scope: Locator) =>
        scope.locator("#rec-photos-group li img").evaluateAll((imgs) => imgs.map((i) => i.getAttribute("alt")));

      // The grid shows the images' 100x100 thumbnails.
      const row = page.getByRole("row").filter({ has: page.getByRole("button", { name: `Open ${id}` }) });
      for (const n of [redName, blueName, greenName]) expect(await loadedImage(row, n)).toContain("thumb=100x100");
      // A protected image is read with a file token.
      expect(await loadedImage(row, created.cover)).toMatch(/[?&]thumb=100x100&token=[\w.-]+$/);

      // In the editor: thumbnails of the stored images, a link to the protected document.
      await page.getByRole("button", { name: `Open ${id}` }).click();
      const editor = await visible(page.getByRole("dialog", { name: "Edit record" }));
      for (const n of [redName, blueName]) expect(await loadedImage(editor, n)).toContain("thumb=100x100");
      await visible(editor.getByRole("link", { name: created.doc, exact: true }));
      expect(await loadedImage(editor, created.cover)).toMatch(/&token=/);
      await screenshot(page, "record-files");

      // Reordered by dragging the last image onto the first.
      const item = (n: string) => editor.getByRole("listitem").filter({ has: page.locator(`img[alt="${n}"]`) });
      await item(greenName).dragTo(item(redName), { sourcePosition: { x: 8, y: 8 }, targetPosition: { x: 8, y: 8 } });
      await eventually(() => photoOrder(editor), [greenName, redName, blueName]);
      await editor.getByRole("button", { name: "Save", exact: true }).click();
      await gone(editor);
      await eventually(async () => (await listRecords(name))[0].photos, [greenName, redName, blueName]);

      // And with a button.
      await page.getByRole("button", { name: `Open ${id}` }).click();
      const next = await visible(page.getByRole("dialog", { name: "Edit record" }));
      await loadedImage(next, blueName);
      await next.getByRole("button", { name: `Move ${blueName} up` }).click();
      await eventually(() => photoOrder(next), [greenName, blueName, redName]);
      await next.getByRole("button", { name: "Save", exact: true }).click();
      await gone(next);
      await eventually(async () => (await listRecords(name))[0].photos, [greenName, blueName, redName]);

      // Every file removed: marked first, gone once saved.
      await page.getByRole("button", { name: `Open ${id}` }).click();
      const again = await visible(page.getByRole("dialog", { name: "Edit record" }));
      await loadedImage(again, blueName);
      for (const n of [blueName, redName, greenName, created.doc, created.cover]) {
        await again.getByRole("button", { name: `Remove ${n}` }).click();
      }
      expect(await again.getByText("removed on save").count()).toBe(5);
      await again.getByRole("button", { name: `Restore ${redName}` }).click();
      expect(await again.getByText("removed on save").count()).toBe(4);
      await again.getByRole("button", { name: `Remove ${redName}` }).click();
      await again.getByRole("button", { name: "Save", exact: true }).click();
      await gone(again);
    });

    const saved = await api("GET", `/api/collections/${name}/records/${id}`, undefined, await token());
    expect(saved.photos).toEqual([]);
    expect(saved.doc).toBe("");
    expect(saved.cover).toBe("");
  });

  test("6b. the open record is in the address: reload reopens it, Back closes it, a link opens it", async () => {
    const name = uniqueName("notes");
    await createCollection({ name, fields: [{ name: "title", type: "text" }, ...autodates] });
    const a = await createRecord(name, { title: "Alpha" });
    const b = await createRecord(name, { title: "Beta" });
    const list = `#/collections/${name}`;
    const hash = (page: Page) => new URL(page.url()).hash;
    const title = (page: Page) => page.getByRole("dialog").getByRole("textbox", { name: "title", exact: true });

    await withPage({ signedIn: true }, async (page) => {
      await open(page, list);
      await eventually(async () => (await gridColumn(page, "title"))?.sort(), ["Alpha", "Beta"]);

      // Opening a record puts it in the address; a reload opens it again.
      await page.getByRole("button", { name: `Open ${a.id}` }).click();
      await visible(page.getByRole("dialog", { name: "Edit record" }));
      await eventually(() => title(page).inputValue(), "Alpha");
      expect(hash(page)).toBe(`${list}?record=${a.id}`);
      await page.reload();
      await visible(page.getByRole("dialog", { name: "Edit record" }));
      await eventually(() => title(page).inputValue(), "Alpha");
      expect(hash(page)).toBe(`${list}?record=${a.id}`);

      // Back closes it and keeps the grid; Forward opens it again.
      await page.goBack();
      await gone(page.getByRole("dialog"));
      expect(hash(page)).toBe(list);
      await visible(page.getByRole("cell", { name: "Beta", exact: true }));
      await page.goForward();
      await eventually(() => title(page).inputValue(), "Alpha");

      // Closing takes it out of the address by going back, so Forward
      // opens it again.
      await page.keyboard.press("Escape");
      await gone(page.getByRole("dialog"));
      expect(hash(page)).toBe(list);
      await page.goForward();
      await eventually(() => title(page).inputValue(), "Alpha");
      await page.getByRole("dialog").getByRole("button", { name: "Close", exact: true }).click();
      await gone(page.getByRole("dialog"));
      expect(hash(page)).toBe(list);
      await page.getByRole("button", { name: "New record" }).first().click();
      await visible(page.getByRole("dialog", { name: `New ${name} record` }));
      expect(hash(page)).toBe(`${list}?record=new`);
      await page.getByRole("button", { name: "Cancel" }).click();
      await gone(page.getByRole("dialog"));
      expect(hash(page)).toBe(list);

      // Back with unsaved changes asks first, and the record stays open.
      await page.getByRole("button", { name: `Open ${b.id}` }).click();
      await eventually(() => title(page).inputValue(), "Beta");
      // Typing adds no history entries.
      const entries = await page.evaluate(() => history.length);
      await title(page).fill("Beta, edited");
      expect(await page.evaluate(() => history.length)).toBe(entries);
      await page.evaluate(() => history.back());
      const question = await visible(page.getByRole("dialog").getByRole("alert").filter({ hasText: "Discard unsaved changes?" }));
      await eventually(() => hash(page), `${list}?record=${b.id}`);
      await page.getByRole("button", { name: "Keep editing" }).click();
      await gone(question);
      expect(await title(page).inputValue()).toBe("Beta, edited");
      await page.evaluate(() => history.back());
      await visible(question);
      await page.getByRole("button", { name: "Discard" }).click();
      await gone(page.getByRole("dialog"));
      expect(hash(page)).toBe(list);
    });
    expect((await listRecords(name)).map((r) => r.title).sort()).toEqual(["Alpha", "Beta"]);

    // A copied link opens the record after signing in.
    await withPage({}, async (page) => {
      await open(page, `${list}?record=${b.id}`);
      await page.getByLabel("Email").fill(superuser.email);
      await page.getByLabel("Password").fill(superuser.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await visible(page.getByRole("dialog", { name: "Edit record" }));
      await eventually(() => title(page).inputValue(), "Beta");
      expect(hash(page)).toBe(`${list}?record=${b.id}`);
    });

    // An id that does not exist says so in the panel.
    const missing = "nosuchrecord000";
    expectClientError(new RegExp(`^GET /api/collections/${name}/records/${missing}(\\?.*)?: 404$`));
    await withPage({ signedIn: true }, async (page) => {
      await open(page, `${list}?record=${missing}`);
      const dialog = await visible(page.getByRole("dialog", { name: "Record not found" }));
      await visible(dialog.getByRole("alert").filter({ hasText: "The requested resource wasn't found." }));
      await dialog.getByRole("button", { name: "Close", exact: true }).first().click();
      await gone(dialog);
      expect(hash(page)).toBe(list);
      await visible(page.getByRole("cell", { name: "Alpha", exact: true }));
    });
  });
});

describe("access control", () => {
  test("7. a role with a conditional policy, a user holding it, and the explain panel's answer", async () => {
    const docs = uniqueName("docs");
    const role = uniqueName("editor");
    const condition = "status = 'public'";
    await createCollection({
      name: docs,
      fields: [{ name: "title", type: "text" }, { name: "status", type: "select", values: ["public", "private"], maxSelect: 1 }, ...autodates],
    });
    await createRecord(docs, { title: "Open letter", status: "public" });
    await createRecord(docs, { title: "Diary", status: "private" });
    const email = `${uniqueName("member")}@example.com`;
    const user = await api("POST", "/api/collections/users/records", { email, password: "member-password", passwordConfirm: "member-password" });

    await withPage({ signedIn: true }, async (page) => {
      await open(page, "#/access");
      await heading(page, "Access control", 1);
      const tabs = page.getByRole("navigation", { name: "Access control" });

      // A role.
      await page.getByRole("button", { name: "+ New role" }).click();
      let dialog = await visible(page.getByRole("dialog", { name: "New role" }));
      await dialog.getByLabel("Name").fill(role);
      await dialog.getByLabel("Description").fill("Edits the public documents");
      await dialog.getByRole("button", { name: "Create role" }).click();
      await gone(dialog);
      await visible(page.getByRole("status").filter({ hasText: `Created role “${role}”` }));
      await visible(page.getByRole("rowheader", { name: role }));

      // A policy on the collection with a row condition.
      await tabs.getByRole("link", { name: "Policies" }).click();
      await page.getByRole("combobox", { name: /^Collection/ }).selectOption(docs);
      await visible(page.getByRole("table", { name: new RegExp(`records of ${docs}`) }));
      await page.getByRole("checkbox", { name: `${role} may list`, exact: true }).check();
      await visible(page.getByRole("heading", { name: `${role} may list` }));
      await page.getByRole("combobox", { name: /^Row condition/ }).fill(condition);
      await visible(page.getByRole("button", { name: `Edit ${role} list: ${condition}` }));
      await page.getByRole("button", { name: "Review and save…" }).click();
      dialog = await visible(page.getByRole("dialog", { name: `Save the policies of “${docs}”?` }));
      await visible(dialog.getByText(condition));
      await dialog.getByRole("button", { name: "Save 1 change" }).click();
      await gone(dialog);
      await visible(page.getByRole("status").filter({ hasText: `Saved the policies of “${docs}”` }));

      // The user holds the role.
      await tabs.getByRole("link", { name: "Assignments" }).click();
      await page.getByRole("navigation", { name: "Roles" }).getByRole("link", { name: new RegExp(role) }).click();
      await heading(page, `Users holding ${role}`, 2);
      await page.getByRole("searchbox", { name: "Search", exact: true }).fill(email);
      const found = page.getByRole("listitem").filter({ hasText: email }).filter({ has: page.getByRole("button", { name: "Assign" }) });
      await (await visible(found)).getByRole("button", { name: "Assign" }).click();
      await visible(page.getByRole("status").filter({ hasText: `now holds “${role}”` }));
      const member = page.getByRole("listitem").filter({ has: page.getByRole("button", { name: new RegExp(`^Remove .* from ${role}$`) }) });
      await visible(member.filter({ hasText: user.id }));

      // Explain: may this user list the collection, and why?
      await member.getByRole("link", { name: "Explain" }).click();
      await heading(page, "Ask", 2);
      await page.getByRole("combobox", { name: /^Collection/ }).selectOption(docs);
      await page.getByRole("combobox", { name: /^Action/ }).selectOption("list");
      await page.getByRole("button", { name: "Explain", exact: true }).click();
      await visible(page.getByRole("heading", { name: /^Allowed: / }));
      await visible(page.getByText(`Only records matching ${condition}`));
      const matched = page.getByRole("region", { name: "Matched policies" });
      const policy = matched.getByRole("row").filter({ has: page.getByRole("cell", { name: condition, exact: true }) });
      await visible(policy);
      expect(await policy.textContent()).toContain(role);
      // The live request as that user returns only the matching record.
      const seen = page.getByRole("region", { name: "What this caller would see" });
      await visible(seen.getByRole("cell", { name: "Open letter" }));
      expect(await seen.getByRole("cell", { name: "Diary" }).count()).toBe(0);
    });

    const policies = await api<{ items: any[] }>("GET", `/api/rbac/collections/${docs}/policies`, undefined, await token());
    expect(policies.items).toContainEqual(expect.objectContaining({ subject: role, action: "list", condition }));
  });

  test("7a. unsaved policy changes and a role being edited hold a move until discarded", async () => {
    const edited = uniqueName("guarded");
    const other = uniqueName("unguarded");
    await createCollection({ name: edited, fields: [{ name: "title", type: "text" }, ...autodates] });
    await createCollection({ name: other, fields: [{ name: "title", type: "text" }, ...autodates] });
    const policies = `#/access/policies/${edited}`;
    const draftRole = uniqueName("draft");
    const hash = (page: Page) => new URL(page.url()).hash;
    const grants = async (name: string) =>
      (await api<{ items: any[] }>("GET", `/api/rbac/collections/${name}/policies`, undefined, await token())).items.filter(
        (p) => p.subject === "authenticated",
      );

    await withPage({ signedIn: true }, async (page) => {
      await open(page, policies);
      await visible(page.getByRole("table", { name: new RegExp(`records of ${edited}`) }));
      const picker = page.getByRole("combobox", { name: /^Collection/ });
      const cell = page.getByRole("checkbox", { name: "authenticated may view", exact: true });
      const pending = page.getByRole("status").filter({ hasText: "1 unsaved change" });
      const question = page.getByRole("alert").filter({ hasText: "Discard unsaved changes?" });
      await cell.check();
      await visible(pending);

      // Choosing another collection asks first; keeping the edits keeps the collection.
      await picker.selectOption(other);
      await visible(question);
      await page.getByRole("button", { name: "Keep editing" }).click();
      await gone(question);
      await visible(pending);
      expect(await cell.isChecked()).toBe(true);
      expect(await picker.inputValue()).toBe(edited);
      expect(hash(page)).toBe(policies);

      // Another tab asks too; Discard makes the move.
      await page.getByRole("navigation", { name: "Access control" }).getByRole("link", { name: "Roles" }).click();
      await visible(question);
      await eventually(() => hash(page), policies);
      await page.getByRole("button", { name: "Discard", exact: true }).click();
      await eventually(() => hash(page), "#/access");
      await visible(page.getByRole("rowheader", { name: /authenticated/ }));

      // A role being written holds Back in its dialog.
      await page.getByRole("button", { name: "+ New role" }).click();
      const dialog = await visible(page.getByRole("dialog", { name: "New role" }));
      await dialog.getByLabel("Name").fill(draftRole);
      await page.evaluate(() => history.back());
      await visible(dialog.getByRole("alert").filter({ hasText: "Discard unsaved changes?" }));
      await eventually(() => hash(page), "#/access");
      await dialog.getByRole("button", { name: "Keep editing" }).click();
      await visible(dialog.getByRole("button", { name: "Create role" }));
      await page.evaluate(() => history.back());
      await visible(dialog.getByRole("alert").filter({ hasText: "Discard unsaved changes?" }));
      await eventually(() => hash(page), "#/access");
      await dialog.getByRole("button", { name: "Discard", exact: true }).click();
      await gone(dialog);
      await eventually(() => hash(page), policies);

      // Saved, the changes are no longer asked about.
      await visible(page.getByRole("table", { name: new RegExp(`records of ${edited}`) }));
      await cell.check();
      await visible(pending);
      await page.getByRole("button", { name: "Review and save…" }).click();
      const review = await visible(page.getByRole("dialog", { name: `Save the policies of “${edited}”?` }));
      await review.getByRole("button", { name: "Save 1 change" }).click();
      await gone(review);
      await visible(page.getByRole("status").filter({ hasText: `Saved the policies of “${edited}”` }));
      await picker.selectOption(other);
      await eventually(() => hash(page), `#/access/policies/${other}`);
      await visible(page.getByRole("table", { name: new RegExp(`records of ${other}`) }));
      expect(await question.count()).toBe(0);
    });

    // Only the saved change reached the server.
    expect((await grants(edited)).map((p) => p.action)).toEqual(["view"]);
    expect(await grants(other)).toEqual([]);
    const roles = await api<{ items: { name: string }[] }>("GET", "/api/rbac/roles", undefined, await token());
    expect(roles.items.map((r) => r.name)).not.toContain(draftRole);
  });
});

describe("settings", () => {
  test("7b. unsaved settings hold Back and a link until discarded", async () => {
    const before = await api("GET", "/api/settings", undefined, await token());
    const hash = (page: Page) => new URL(page.url()).hash;

    await withPage({ signedIn: true }, async (page) => {
      await open(page, "#/");
      await heading(page, "Collections", 1);
      const nav = page.getByRole("navigation", { name: "Dashboard" });
      await nav.getByRole("link", { name: "Settings" }).click();
      const appName = await visible(page.getByLabel("Application name"));
      await eventually(() => appName.inputValue(), before.meta.appName);
      await appName.fill(`${before.meta.appName} (draft)`);
      await visible(page.getByRole("status").filter({ hasText: "Unsaved changes" }));

      // Back asks first and stays on the screen with the edits.
      await page.evaluate(() => history.back());
      const question = await visible(page.getByRole("alert").filter({ hasText: "Discard unsaved changes?" }));
      await eventually(() => hash(page), "#/settings");
      await page.getByRole("button", { name: "Keep editing" }).click();
      await gone(question);
      expect(await appName.inputValue()).toBe(`${before.meta.appName} (draft)`);

      // A link asks too; Discard makes the move.
      await nav.getByRole("link", { name: "Logs" }).click();
      await visible(question);
      await eventually(() => hash(page), "#/settings");
      await page.getByRole("button", { name: "Discard", exact: true }).click();
      await eventually(() => hash(page), "#/logs");
      await heading(page, "Logs", 1);
    });

    const after = await api("GET", "/api/settings", undefined, await token());
    expect(after.meta.appName).toBe(before.meta.appName);
  });
});

describe("metrics settings", () => {
  test("7g. the metrics section saves a write-only token and allowed addresses; a short token shows the server's error", async () => {
    expectClientError(/^PATCH \/api\/settings: 400$/);
    await withPage({ signedIn: true }, async (page) => {
      await open(page, "#/settings");
      await heading(page, "Metrics", 2);
      await page.getByLabel("Serve metrics at /metrics").check();
      await page.getByLabel("Bearer token").fill("short");
      await page.getByLabel("Allowed addresses").fill("10.0.0.0/8\n192.168.1.20");
      await visible(page.getByRole("status").filter({ hasText: "Unsaved changes: metrics" }));
      await page.getByRole("button", { name: "Save changes" }).click();
      await visible(page.getByText("Must be at least 16 printable ASCII characters without spaces."));

      await page.getByLabel("Bearer token").fill("a-long-random-scrape-token");
      await page.getByRole("button", { name: "Save changes" }).click();
      await visible(page.getByRole("status").filter({ hasText: "No changes" }));
      // Write-only: the form shows that a token is stored, never the token.
      await eventually(() => page.getByLabel("Bearer token").inputValue(), "");
      await visible(page.getByText("A token is stored. Leave empty to keep it."));
    });
    const s = await api("GET", "/api/settings", undefined, await token());
    expect(s.metrics).toEqual({ enabled: true, tokenSet: true, allowedAddresses: ["10.0.0.0/8", "192.168.1.20"] });
    await api("PATCH", "/api/settings", { metrics: { enabled: false, token: null, allowedAddresses: [] } }, await token());
  });
});

describe("backups", () => {
  test("7e. a backup made in the dashboard is downloaded, uploaded again and restored; a bad name is refused before sending", async () => {
    const su = await token();
    const name = uniqueName("kept");
    await createCollection({ name, type: "base", fields: [{ name: "title", type: "text" }] });
    const rec = await createRecord(name, { title: "before the backup" });
    const backupName = `${name}.zip`;

    await withPage({ signedIn: true }, async (page) => {
      await open(page, "#/");
      await heading(page, "Collections", 1);
      await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Backups" }).click();
      await heading(page, "Backups", 1);

      const input = page.getByLabel("Name", { exact: true });
      await input.fill("Not Valid.zip");
      await visible(page.getByText("Lowercase letters, digits, _ and -, ending in .zip."));
      expect(await page.getByRole("button", { name: "New backup" }).isDisabled()).toBe(true);
      await input.fill(backupName);
      await page.getByRole("button", { name: "New backup" }).click();
      await visible(page.getByRole("status").filter({ hasText: `Backup “${backupName}” created.` }));
      await visible(page.getByRole("cell", { name: backupName, exact: true }));

      // Download it, then upload it under another name.
      const downloading = page.waitForEvent("download");
      await page.getByRole("button", { name: `Download ${backupName}` }).click();
      const download = await downloading;
      expect(download.suggestedFilename()).toBe(backupName);
      const file = await download.path();
      const copy = `${name}_copy.zip`;
      const { readFile } = await import("node:fs/promises");
      await page.getByLabel("Upload a backup").setInputFiles({ name: copy, mimeType: "application/zip", buffer: await readFile(file) });
      await visible(page.getByRole("status").filter({ hasText: `Backup “${copy}” uploaded.` }));
      await visible(page.getByRole("cell", { name: copy, exact: true }));

      // What changes after the backup goes with the restore of the copy.
      await api("DELETE", `/api/collections/${name}/records/${rec.id}`, undefined, su, 204);
      await createRecord(name, { title: "after the backup" });
      await page.getByRole("button", { name: `Restore ${copy}` }).click();
      const dialog = await visible(page.getByRole("dialog"));
      await dialog.getByRole("button", { name: "Restore", exact: true }).click();
      await visible(page.getByRole("status").filter({ hasText: `Backup “${copy}” restored.` }));
      await eventually(async () => (await listRecords(name)).map((r) => r.title), ["before the backup"]);

      for (const key of [backupName, copy]) {
        await page.getByRole("button", { name: `Delete ${key}` }).click();
        await (await visible(page.getByRole("dialog"))).getByRole("button", { name: "Delete", exact: true }).click();
        await gone(page.getByRole("cell", { name: key, exact: true }));
      }
    });
  });
});

describe("multi-factor sign-in", () => {
  test("7c. a superuser with MFA signs in with the password, then a code sent by email", async () => {
    const su = await token();
    const sink = await startSmtpSink();
    const before = await api("GET", "/api/settings", undefined, su);
    await api("PATCH", "/api/settings", { smtp: { enabled: true, host: "127.0.0.1", port: sink.port, tlsMode: "none" } }, su);
    await api("PATCH", "/api/collections/_superusers", { otp: { enabled: true, length: 6 }, mfa: { enabled: true } }, su);
    try {
      // The password is the first method: 401 with an mfaId.
      expectClientError(/^POST \/api\/collections\/_superusers\/auth-with-password: 401$/);
      expectClientError(/^POST \/api\/collections\/_superusers\/auth-with-otp: 400$/);
      await withPage({}, async (page) => {
        await open(page, "#/");
        await visible(page.getByRole("heading", { name: "Sign in as a superuser" }));
        await page.getByLabel("Email").fill(superuser.email);
        await page.getByLabel("Password").fill(superuser.password);
        await page.getByRole("button", { name: "Sign in" }).click();
        const codeInput = await visible(page.getByLabel("One-time password"));
        await visible(page.getByText(`A one-time password was sent to ${superuser.email}.`));
        const mail = await sink.next();
        expect(mail.to).toEqual([superuser.email]);
        const code = mail.text.match(/<strong>(\d{6})<\/strong>/)?.[1] ?? "";
        expect(code).toMatch(/^\d{6}$/);

        // A wrong code shows the server's message; the right one signs in.
        await codeInput.fill(code === "000000" ? "111111" : "000000");
        await page.getByRole("button", { name: "Sign in" }).click();
        await visible(page.getByRole("alert").filter({ hasText: "Invalid or expired OTP." }));
        await codeInput.fill(code);
        await page.getByRole("button", { name: "Sign in" }).click();
        await visible(page.getByRole("heading", { name: "Collections", level: 1 }));
        await visible(page.getByText(superuser.email));
      });
    } finally {
      await api("PATCH", "/api/collections/_superusers", { otp: { enabled: false }, mfa: { enabled: false } }, su);
      const { enabled, host, port, tlsMode } = before.smtp;
      await api("PATCH", "/api/settings", { smtp: { enabled, host, port, tlsMode } }, su);
      await sink.close();
    }
  });
});

describe("crons", () => {
  test("7d. a job's Run now shows its run and result", async () => {
    await withPage({ signedIn: true }, async (page) => {
      await show(page, screens[0]);
      await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Crons" }).click();
      await heading(page, "Crons", 1);
      const row = page.getByRole("row", { name: /__lumbungCronRunsCleanup__/ });
      await visible(row.getByText("@hourly", { exact: true }));
      await row.getByRole("button", { name: "Run __lumbungCronRunsCleanup__ now" }).click();
      await visible(row.getByText("Succeeded", { exact: true }));
      await visible(row.getByText("(run now)"));
    });
  });
});

describe("insights", () => {
  test("7f. lists filtering on an unindexed field bring an index suggestion, applied through the plan", async () => {
    const name = uniqueName("insight");
    await createCollection({ name, listRule: "", fields: [{ name: "status", type: "text" }, { name: "n", type: "number" }, ...autodates] });
    for (let i = 0; i < 6; i++) await createRecord(name, { status: i % 2 ? "open" : "closed", n: i });
    // The workload: the same filter, often.
    for (let i = 0; i < 6; i++) await listRecords(name, `filter=${encodeURIComponent("status = 'open'")}`);
    const index = `CREATE INDEX \`idx_${name}_status\` ON \`${name}\` (\`status\`)`;

    await withPage({ signedIn: true }, async (page) => {
      await show(page, screens[0]);
      await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Insights" }).click();
      await heading(page, "Insights", 1);
      const card = page.getByRole("article", { name });
      await visible(card.getByRole("heading", { name: "Suggested indexes", level: 3 }));
      await visible(card.getByText(index, { exact: true }));
      await visible(card.getByText("status: filtered on in 6, sorted on in 0 of the last 6 list requests"));
      await visible(card.getByRole("cell", { name: "status = 'open'", exact: true }));

      await card.getByRole("button", { name: `Apply the index on ${name}.status` }).click();
      const dialog = await visible(page.getByRole("dialog", { name: `Add the index to “${name}”` }));
      await visible(dialog.getByText(`Create index "idx_${name}_status".`, { exact: true }));
      await dialog.getByRole("button", { name: "Apply 1 step" }).click();
      await gone(dialog);
      await visible(page.getByText(`Added the index to “${name}”.`));

      // The suggestion is gone; the new index is listed, not yet used.
      await gone(card.getByRole("heading", { name: "Suggested indexes", level: 3 }));
      const row = card.getByRole("row", { name: new RegExp(`idx_${name}_status`) });
      await visible(row.getByText("Unused", { exact: true }));
    });

    const col = await api("GET", `/api/collections/${name}`, undefined, await token());
    expect(col.indexes).toContain(index);
  });
});

describe("audit", () => {
  test("7h. the audit lists a record's changes with their diff; the record's History restores a value and a version", async () => {
    const name = uniqueName("audited");
    await createCollection({ name, fields: [{ name: "title", type: "text" }, { name: "n", type: "number" }, ...autodates] });
    const rec = await createRecord(name, { title: "First", n: 1 });
    const su = await token();
    await api("PATCH", `/api/collections/${name}/records/${rec.id}`, { title: "Second", n: 2 }, su);
    await api("PATCH", `/api/collections/${name}/records/${rec.id}`, { title: "Third" }, su);
    const history = async () =>
      (await api<{ items: { action: string }[] }>("GET", `/api/collections/${name}/records/${rec.id}/history`, undefined, su)).items.map((e) => e.action);
    await eventually(history, ["update", "update", "create"]);

    await withPage({ signedIn: true }, async (page) => {
      await show(page, screens[0]);
      await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Audit" }).click();
      await heading(page, "Audit", 1);
      await page.getByRole("searchbox", { name: "Filter" }).fill(`collectionName = "${name}"`);
      await page.getByRole("button", { name: "Apply" }).click();
      const rows = page.getByRole("row", { name: new RegExp(`^${name} ${rec.id} `) });
      await eventually(() => rows.count(), 3);
      await rows.first().click();
      const details = await visible(page.getByRole("dialog", { name: `Change of ${name} ${rec.id}` }));
      const title = details.getByRole("row", { name: /^title/ });
      await visible(title.getByRole("cell", { name: "Second", exact: true }));
      await visible(title.getByRole("cell", { name: "Third", exact: true }));
      await details.getByRole("button", { name: "Close" }).last().click();
      await gone(details);

      // The record's History: restore the title the last change replaced.
      await open(page, `#/collections/${name}?record=${rec.id}`);
      const panel = await visible(page.getByRole("dialog", { name: "Edit record" }));
      await panel.getByRole("tab", { name: "History" }).click();
      const versions = panel.getByRole("listitem", { name: /^Version / });
      await eventually(() => versions.count(), 3);
      await versions.first().getByRole("button", { name: "Restore title to its value before this change" }).click();
      await gone(panel);
      await visible(page.getByRole("cell", { name: "Second", exact: true }));
      let stored = await api("GET", `/api/collections/${name}/records/${rec.id}`, undefined, su);
      expect([stored.title, stored.n]).toEqual(["Second", 2]);

      // Then the whole first version.
      await open(page, `#/collections/${name}?record=${rec.id}`);
      await visible(panel);
      await panel.getByRole("tab", { name: "History" }).click();
      await versions.last().getByRole("button", { name: "Restore this version" }).click();
      await gone(panel);
      stored = await api("GET", `/api/collections/${name}/records/${rec.id}`, undefined, su);
      expect([stored.title, stored.n]).toEqual(["First", 1]);
    });
    // Each restore was an update, audited as such.
    await eventually(async () => (await history()).length, 5);
  });
});

describe("webhooks", () => {
  test("7i. a webhook made in the dashboard sends a signed test to a receiver, shows the delivery, is edited and deleted", async () => {
    // The receiver: answers 200 (or failWith) and keeps what it got.
    const got: { body: string; signature: string }[] = [];
    let failWith = 0;
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        got.push({ body, signature: String(req.headers["x-lumbung-signature"] ?? "") });
        res.writeHead(failWith || 200).end(failWith ? "unavailable" : "ok");
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

    // The plugin reads its settings at start, and refuses loopback targets
    // unless they allow them: a server of this test's own, started again
    // once they do.
    const dir = await mkdtemp(path.join(os.tmpdir(), "lumbung-e2e-webhooks-"));
    let serve: Serve | null = null;
    try {
      serve = await startServe("", { dir });
      const first = serve;
      const setupToken = () => /\/_\/#\/setup\/([A-Za-z0-9_-]+)/.exec(first.stderr())?.[1] ?? "";
      await eventually(() => setupToken() !== "", true);
      const link = setupToken();
      const call = async (base: string, method: string, p: string, body?: unknown, auth = "") => {
        const res = await fetch(base + p, {
          method,
          headers: { "Content-Type": "application/json", ...(auth ? { Authorization: auth } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(HANG_GUARD_MS),
        });
        const text = await res.text();
        if (res.status >= 300) throw new Error(`${method} ${p}: status ${res.status}: ${text}`);
        return text ? JSON.parse(text) : {};
      };
      const account = { email: "hooks@example.com", password: "hooks-password-1" };
      const setup = await call(first.url, "POST", "/api/setup", { token: link, ...account });
      await call(first.url, "PATCH", "/api/settings", { plugins: { webhooks: { config: { allow: ["127.0.0.1/32"] } } } }, setup.token);
      const orders = uniqueName("orders");
      await call(first.url, "POST", "/api/collections", { name: orders, fields: [{ name: "total", type: "number" }] }, setup.token);
      await first.stop();
      serve = null;
      serve = await startServe("", { dir });
      const base = serve.url;
      const auth = await call(base, "POST", "/api/collections/_superusers/auth-with-password", { identity: account.email, password: account.password });

      expectClientError(/^POST \/api\/webhooks: 400$/);
      await withPage({ signedIn: true, server: { url: base, auth } }, async (page) => {
        await open(page, "#/");
        await page.getByRole("navigation", { name: "Dashboard" }).getByRole("link", { name: "Webhooks" }).click();
        await heading(page, "Webhooks", 1);
        await visible(page.getByText("No webhooks yet."));

        // A new webhook without a secret: the server's complaint shows under the secret.
        await page.getByRole("button", { name: "+ New webhook" }).click();
        const dialog = page.getByRole("dialog", { name: "New webhook" });
        await dialog.getByLabel("Name").fill("orders to billing");
        // The picker lists the collections (it waits for the one named).
        await dialog.getByLabel("Collection").selectOption(orders);
        await dialog.getByLabel("URL").fill(target);
        await dialog.getByLabel("Filter").fill("total > 100");
        await dialog.getByRole("button", { name: "Create webhook" }).click();
        await visible(dialog.getByText("Give a secret (8 to 512 characters): receivers check the signature with it."));
        await expect(dialog.getByLabel("Secret", { exact: true }).getAttribute("aria-invalid")).resolves.toBe("true");

        await dialog.getByRole("button", { name: "Generate" }).click();
        const secret = await dialog.getByLabel("Secret", { exact: true }).inputValue();
        expect(secret).toMatch(/^[0-9a-f]{32}$/);
        await dialog.getByRole("button", { name: "Create webhook" }).click();
        await gone(dialog);
        const row = page.getByRole("row", { name: /orders to billing/ });
        await visible(row.getByText("Enabled", { exact: true }));
        await visible(row.getByText(target));
        await visible(row.getByText("total > 100"));

        // Send test: the receiver gets it signed with the secret, and the delivery shows.
        await row.getByRole("button", { name: "Send a test to orders to billing" }).click();
        await visible(page.getByRole("status").filter({ hasText: "Test delivered to “orders to billing”: 200" }));
        const panel = page.getByRole("region", { name: /^Deliveries of/ });
        const delivery = panel.getByRole("row").filter({ hasText: "test" });
        await visible(delivery.getByText("200", { exact: true }));
        await visible(panel.getByText("1 delivery"));
        await screenshot(page, "webhooks-deliveries");
        // The open deliveries are in the address: reload keeps them, Back closes them, Forward opens them again.
        expect(new URL(page.url()).hash).toMatch(/^#\/webhooks\?deliveries=[a-z0-9]{15}$/);
        await page.reload();
        await visible(panel.getByText("1 delivery"));
        await page.goBack();
        await gone(panel);
        await visible(row.getByText("Enabled", { exact: true }));
        await page.goForward();
        await visible(panel.getByText("1 delivery"));
        expect(got).toHaveLength(1);
        const { t, v1 } = Object.fromEntries(got[0].signature.split(",").map((p) => p.split("="))) as Record<string, string>;
        expect(v1).toBe(createHmac("sha256", secret).update(`${t}.${got[0].body}`).digest("hex"));
        expect(JSON.parse(got[0].body)).toMatchObject({ action: "test", collection: orders });

        // Edit: the stored secret is never shown and is kept; the change is saved.
        await row.getByRole("button", { name: "Edit orders to billing" }).click();
        const edit = page.getByRole("dialog", { name: "Edit webhook “orders to billing”" });
        await eventually(() => edit.getByLabel("Secret", { exact: true }).inputValue(), "");
        await visible(edit.getByText("A secret is stored; it is never shown."));
        await screenshot(page, "webhooks-edit");
        await edit.getByLabel("Name").fill("orders to audit");
        await edit.getByLabel("delete").uncheck();
        await edit.getByRole("button", { name: "Save" }).click();
        await gone(edit);
        const edited = page.getByRole("row", { name: /orders to audit/ });
        await visible(edited.getByText("· create, update"));
        const list = await call(base, "GET", "/api/webhooks", undefined, auth.token);
        expect(list.items).toHaveLength(1);
        expect(list.items[0]).toMatchObject({ name: "orders to audit", events: ["create", "update"], secretSet: true, filter: "total > 100" });
        await edited.getByRole("button", { name: "Send a test to orders to audit" }).click();
        await visible(panel.getByText("2 deliveries"));
        const again = Object.fromEntries(got[1].signature.split(",").map((p) => p.split("="))) as Record<string, string>;
        expect(again.v1).toBe(createHmac("sha256", secret).update(`${again.t}.${got[1].body}`).digest("hex"));

        // A test the receiver refuses shows as failed, with its status.
        failWith = 503;
        await edited.getByRole("button", { name: "Send a test to orders to audit" }).click();
        await visible(page.getByRole("alert").filter({ hasText: "The test to “orders to audit” failed: HTTP 503: unavailable" }));
        await visible(panel.getByText("3 deliveries"));
        await visible(panel.getByRole("row").nth(1).getByText("503", { exact: true }));
        failWith = 0;

        // The log is paged, 20 a page, newest first.
        for (let i = 0; i < 20; i++) await call(base, "POST", `/api/webhooks/${list.items[0].id}/test`, undefined, auth.token);
        await panel.getByRole("button", { name: "Refresh" }).click();
        await visible(panel.getByText("23 deliveries"));
        await visible(panel.getByText("Page 1 of 2"));
        await panel.getByRole("button", { name: "Older →" }).click();
        await visible(panel.getByText("Page 2 of 2"));
        await eventually(() => panel.getByRole("row").count(), 1 + 3);
        await visible(panel.getByRole("row").last().getByText("200", { exact: true }));

        // A change the receiver refuses: the list shows the webhook failing, with the error and the retry to come.
        failWith = 503;
        await call(base, "POST", `/api/collections/${orders}/records`, { total: 500 }, auth.token);
        await visible(edited.getByText("Failing", { exact: true }));
        await visible(edited.getByText(/^1 failed attempt in a row · HTTP 503: unavailable · next attempt /));
        await panel.getByRole("button", { name: "← Newer" }).click();
        await visible(panel.getByRole("row").nth(1).getByText("HTTP 503: unavailable"));
        await visible(panel.getByRole("row").nth(1).getByText("create", { exact: true }));
        await screenshot(page, "webhooks-failing");
        failWith = 0;

        // Delete, after a confirmation.
        await edited.getByRole("button", { name: "Delete orders to audit" }).click();
        const confirm = page.getByRole("dialog", { name: "Delete webhook “orders to audit”" });
        await confirm.getByRole("button", { name: "Delete", exact: true }).click();
        await gone(confirm);
        await visible(page.getByText("No webhooks yet."));
        await gone(panel);
      });
      expect((await call(base, "GET", "/api/webhooks", undefined, auth.token)).items).toEqual([]);

      // With the plugin off (from the next start) its routes answer 404: the screen says so.
      await call(base, "PATCH", "/api/settings", { plugins: { webhooks: { enabled: false } } }, auth.token);
      await serve.stop();
      serve = null;
      serve = await startServe("", { dir });
      expectClientError(/^GET \/api\/webhooks: 404$/);
      await withPage({ signedIn: true, server: { url: serve.url, auth } }, async (page) => {
        await open(page, "#/webhooks");
        await heading(page, "The webhooks plugin is off", 2);
        await gone(page.getByRole("button", { name: "+ New webhook" }));
      });
    } finally {
      await serve?.stop();
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
      await new Promise((resolve) => receiver.close(resolve));
    }
  });
});

// --- every main screen ------------------------------------------------------

describe("every main screen", () => {
  test("8. screenshots of each main screen, light and dark", async () => {
    await withPage({ signedIn: true, theme: "light" }, async (page) => {
      for (const s of screens) {
        await show(page, s);
        expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("light");
        await screenshot(page, `${s.name}-light`);
      }
    });

    await withPage({ signedIn: true, theme: "light" }, async (page) => {
      await show(page, screens[0]);
      const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const light = await background();
      await page.getByRole("button", { name: "Switch to dark theme" }).click();
      await eventually(() => page.evaluate(() => document.documentElement.dataset.theme), "dark");
      await visible(page.getByRole("button", { name: "Switch to light theme" }));
      expect(await background()).not.toBe(light);
      for (const s of screens.filter((x) => ["home", "schema-designer", "data-browser", "access-policies"].includes(x.name))) {
        await show(page, s);
        // The choice is kept across navigation and reloads.
        expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("dark");
        await screenshot(page, `${s.name}-dark`);
      }
    });
  });

  test("9a. no horizontal scroll at 1280×800 on each main screen", async () => {
    const found: string[] = [];
    await withPage({ signedIn: true }, async (page) => {
      for (const s of screens) {
        await show(page, s);
        for (const o of await horizontalOverflow(page)) found.push(`${s.name}: ${o}`);
      }
    });
    expect(found).toEqual([]);
  });

  test("9d. at 1280×800 the collection list scrolls within the sidebar, above its links", async () => {
    await withPage({ signedIn: true }, async (page) => {
      await show(page, screens[0]);
      // Either the list fits its box or the box scrolls it: its links never
      // spill over the dashboard's links below.
      const spills = await page.getByRole("navigation", { name: "Collections" }).evaluate(
        (el) => el.scrollHeight > el.clientHeight + 1 && getComputedStyle(el).overflowY === "visible",
      );
      expect(spills).toBe(false);
      const list = await page.getByRole("navigation", { name: "Collections" }).boundingBox();
      const links = await page.getByRole("navigation", { name: "Dashboard" }).boundingBox();
      expect(list!.y + list!.height).toBeLessThanOrEqual(links!.y + 0.5);
    });
  });
});

describe("the whole run", () => {
  // Last on purpose: it checks what every test before it left behind.
  test("9b. no console errors or uncaught exceptions in any page", () => {
    expect(problems.map((p) => `[${p.test}] ${p.kind}: ${p.text}`)).toEqual([]);
  });

  test("9c. no 4xx answers but those provoked on purpose", () => {
    expect(unexpectedClientErrors()).toEqual([]);
  });
});
