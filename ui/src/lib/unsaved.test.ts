import { describe, expect, it } from "vitest";
import { FakeHistory } from "./fakeHistory";
import { Router } from "./router.svelte";
import { DiscardQuestion, unsavedGuard } from "./unsaved.svelte";

describe("DiscardQuestion", () => {
  it("runs what it was asked with once the user discards, once", () => {
    const q = new DiscardQuestion();
    let runs = 0;
    expect(q.asking).toBe(false);
    q.ask(() => runs++);
    expect(q.asking).toBe(true);
    q.discard();
    expect(q.asking).toBe(false);
    expect(runs).toBe(1);
    q.discard();
    expect(runs).toBe(1);
  });

  it("forgets it when the user keeps editing", () => {
    const q = new DiscardQuestion();
    let runs = 0;
    q.ask(() => runs++);
    q.keep();
    expect(q.asking).toBe(false);
    q.discard();
    expect(runs).toBe(0);
  });

  it("runs only the latest of two questions", () => {
    const q = new DiscardQuestion();
    const ran: string[] = [];
    q.ask(() => ran.push("first"));
    q.ask(() => ran.push("second"));
    q.discard();
    expect(ran).toEqual(["second"]);
  });
});

describe("unsavedGuard", () => {
  const schema = "#/collections/posts/schema";

  /** screen is a screen on r with changes, guarded the way the screens guard them. */
  function screen(r: Router, drops?: (to: { path: string }) => boolean) {
    const s = { dirty: true, asked: 0, question: new DiscardQuestion() };
    r.guard(
      unsavedGuard(r, () => s.dirty, {
        drops,
        ask: (resume) => {
          s.asked++;
          s.question.ask(() => {
            s.dirty = false;
            resume();
          });
        },
      }),
    );
    return s;
  }

  it("holds a link to another screen until the changes are discarded", () => {
    const h = new FakeHistory(schema);
    const r = new Router(h);
    const s = screen(r);
    h.visit("#/collections/comments");
    h.settle();
    expect(s.asked).toBe(1);
    expect(s.question.asking).toBe(true);
    expect(h.hash()).toBe(schema);
    expect(r.location.path).toBe("/collections/posts/schema");

    // Keeping the edits keeps the address; the next link asks again.
    s.question.keep();
    h.settle();
    expect(h.hash()).toBe(schema);
    h.visit("#/collections/comments");
    h.settle();
    expect(s.asked).toBe(2);

    s.question.discard();
    h.settle();
    expect(s.dirty).toBe(false);
    expect(r.location.path).toBe("/collections/comments");
    expect(h.hash()).toBe("#/collections/comments");
  });

  it("holds Back, and makes it once the changes are discarded", () => {
    const h = new FakeHistory("#/");
    const r = new Router(h);
    r.go(schema);
    const s = screen(r);
    h.back();
    h.settle();
    expect(s.question.asking).toBe(true);
    expect(r.location.path).toBe("/collections/posts/schema");
    s.question.discard();
    h.settle();
    expect(r.location.path).toBe("/");
    expect(h.at).toBe(0);
  });

  it("asks nothing without changes, after a save, or for a move that keeps them", () => {
    const h = new FakeHistory("#/access/policies/posts");
    const r = new Router(h);
    const s = screen(r, (to) => !to.path.startsWith("/access/policies/"));
    // A move the screen keeps its changes across, made by the dashboard
    // or by a link.
    r.go("#/access/policies/comments");
    expect(r.location.path).toBe("/access/policies/comments");
    h.visit("#/access/policies/tags");
    h.settle();
    expect(r.location.path).toBe("/access/policies/tags");
    expect(s.asked).toBe(0);

    r.go("#/settings");
    expect(s.asked).toBe(1);
    expect(r.location.path).toBe("/access/policies/tags");
    s.question.keep();

    // Saved: nothing left to lose.
    s.dirty = false;
    r.go("#/settings");
    expect(s.asked).toBe(1);
    expect(r.location.path).toBe("/settings");
  });

  it("takes every other location as leaving by default", () => {
    const h = new FakeHistory("#/settings");
    const r = new Router(h);
    const s = screen(r);
    h.visit("#/settings/");
    h.settle();
    expect(s.asked).toBe(0);
    r.go("#/settings?x=1");
    expect(s.asked).toBe(1);
    expect(r.location.query.get("x")).toBeNull();
  });
});
