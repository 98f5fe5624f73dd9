import { api, type RecordModel } from "./api";

class Session {
  token = $state(api.auth.store.token);
  record = $state<RecordModel | null>(api.auth.store.record);
  /** ready turns true once a kept token has been checked. */
  ready = $state(false);
  signedIn = $derived(this.token !== "");

  constructor() {
    api.auth.store.onChange(() => {
      this.token = api.auth.store.token;
      this.record = api.auth.store.record;
    });
  }

  /** restore refreshes a kept token; a rejected one signs out. */
  async restore() {
    if (this.token) {
      try {
        await api.auth.refresh();
      } catch {
        api.auth.signOut();
      }
    }
    this.ready = true;
  }

  signOut() {
    api.auth.signOut();
  }
}

/** session is the signed-in superuser. */
export const session = new Session();
