import { api, type Collection } from "./api";
import { toasts } from "./toast.svelte";

class CollectionsState {
  items = $state<Collection[]>([]);
  loading = $state(false);
  loaded = $state(false);

  /** byName finds a loaded collection by name or id. */
  find(nameOrId: string): Collection | undefined {
    const lower = nameOrId.toLowerCase();
    return this.items.find((c) => c.id === nameOrId || c.name.toLowerCase() === lower);
  }

  async reload() {
    this.loading = true;
    try {
      this.items = await api.collections.all();
      this.loaded = true;
    } catch (err) {
      toasts.error(err);
    } finally {
      this.loading = false;
    }
  }
}

/** collections is the schema as the dashboard last read it. */
export const collections = new CollectionsState();
