import { router, sameLocation, type Guard, type Location, type Router } from "./router.svelte";

/** Leaving says which moves within the dashboard drop the changes, and how to ask first. */
export interface Leaving {
  /**
   * drops reports whether moving to `to` would drop the changes. Without
   * it, every move to another location does: the screen starts over.
   */
  drops?: (to: Location) => boolean;
  /** ask asks the user; resume makes the move once they agree. */
  ask: (resume: () => void) => void;
}

/**
 * guardUnsaved makes the browser ask before the tab is closed or reloaded
 * while dirty() holds. Given leaving, it also holds a move within the
 * dashboard (Back, Forward, a link, the address bar) that would drop the
 * changes until leaving.ask resumes it. Call it while a component
 * initializes.
 */
export function guardUnsaved(dirty: () => boolean, leaving?: Leaving): void {
  $effect(() => {
    if (!dirty()) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  });
  if (leaving) $effect(() => router.guard(unsavedGuard(router, dirty, leaving)));
}

/**
 * unsavedGuard is the guard guardUnsaved adds to r: while dirty() holds, it
 * holds a move that drops the changes and asks leaving about it; it lets
 * any other move through.
 */
export function unsavedGuard(r: Router, dirty: () => boolean, leaving: Leaving): Guard {
  const drops = leaving.drops ?? ((to: Location) => !sameLocation(to, r.location));
  return (to, resume) => {
    if (!dirty() || !drops(to)) return true;
    leaving.ask(resume);
    return false;
  };
}

/**
 * DiscardQuestion is the "Discard unsaved changes?" question a screen shows
 * (with DiscardPrompt) before it drops its changes: asked with what to do
 * once the user agrees, answered with keep or discard.
 */
export class DiscardQuestion {
  /** asking holds while the question waits for an answer. */
  asking = $state(false);
  #then: (() => void) | null = null;

  /** ask shows the question; then runs if the user discards. Asking again replaces then. */
  ask = (then: () => void) => {
    this.#then = then;
    this.asking = true;
  };

  /** keep hides the question and forgets what was to run. */
  keep = () => {
    this.#then = null;
    this.asking = false;
  };

  /** discard hides the question and runs what it was asked with, once. */
  discard = () => {
    const then = this.#then;
    this.keep();
    then?.();
  };
}

/** isSaveShortcut reports whether e is Ctrl+S (⌘S on a Mac). */
export function isSaveShortcut(e: KeyboardEvent): boolean {
  return (e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s";
}
