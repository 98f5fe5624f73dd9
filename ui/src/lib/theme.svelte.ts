export type Theme = "light" | "dark";

const key = "lumbung_theme";

function systemTheme(): Theme {
  return typeof matchMedia !== "undefined" && matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function savedTheme(): Theme | null {
  try {
    const v = localStorage.getItem(key);
    return v === "light" || v === "dark" ? v : null;
  } catch {
    return null;
  }
}

class ThemeState {
  /** chosen is the user's explicit choice, or null to follow the system. */
  chosen = $state<Theme | null>(savedTheme());
  system = $state<Theme>(systemTheme());
  current = $derived<Theme>(this.chosen ?? this.system);

  constructor() {
    if (typeof matchMedia !== "undefined") {
      matchMedia("(prefers-color-scheme: dark)").addEventListener("change", (e) => {
        this.system = e.matches ? "dark" : "light";
      });
    }
  }

  toggle() {
    this.chosen = this.current === "dark" ? "light" : "dark";
    try {
      localStorage.setItem(key, this.chosen);
    } catch {
      // private mode: the choice lasts for this page only
    }
  }
}

/** theme is the active colour scheme. */
export const theme = new ThemeState();
