import { errorMessage } from "./api";

export type ToastKind = "info" | "success" | "error";

/** Toast is one short message at the corner of the screen. */
export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
}

class Toasts {
  items = $state<Toast[]>([]);
  #next = 1;

  show(message: string, kind: ToastKind = "info", ms = kind === "error" ? 8000 : 4000) {
    const id = this.#next++;
    this.items.push({ id, kind, message });
    if (ms > 0) setTimeout(() => this.dismiss(id), ms);
    return id;
  }

  success(message: string) {
    return this.show(message, "success");
  }

  /** error shows the server's message for anything thrown. */
  error(err: unknown) {
    return this.show(errorMessage(err), "error");
  }

  dismiss(id: number) {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

/** toasts is the app's toast queue. */
export const toasts = new Toasts();
