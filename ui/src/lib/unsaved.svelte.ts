/**
 * guardUnsaved makes the browser ask before the tab is closed or reloaded
 * while dirty() holds. Call it while a component initializes.
 */
export function guardUnsaved(dirty: () => boolean): void {
  $effect(() => {
    if (!dirty()) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  });
}

/** isSaveShortcut reports whether e is Ctrl+S (⌘S on a Mac). */
export function isSaveShortcut(e: KeyboardEvent): boolean {
  return (e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s";
}
