import { router, type Location } from "./router.svelte";

/** Leaving says which moves within the dashboard drop the changes, and how to ask first. */
export interface Leaving {
  /** drops reports whether moving to `to` would drop the changes. */
  drops: (to: Location) => boolean;
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
  if (leaving) {
    $effect(() =>
      router.guard((to, resume) => {
        if (!dirty() || !leaving.drops(to)) return true;
        leaving.ask(resume);
        return false;
      }),
    );
  }
}

/** isSaveShortcut reports whether e is Ctrl+S (⌘S on a Mac). */
export function isSaveShortcut(e: KeyboardEvent): boolean {
  return (e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s";
}
