// A session history for tests of the router and of what guards it.

import type { Address } from "./router.svelte";

/**
 * FakeHistory behaves like a browser tab's session history: push and
 * replace are silent, while links, Back and Forward report a hash change
 * later, as the browser's hashchange event does.
 */
export class FakeHistory implements Address {
  entries: { hash: string; state: unknown }[];
  at = 0;
  #listeners: (() => void)[] = [];
  #queue: (() => void)[] = [];

  constructor(hash = "") {
    this.entries = [{ hash, state: null }];
  }
  hash() {
    return this.entries[this.at].hash;
  }
  state() {
    return this.entries[this.at].state;
  }
  push(state: unknown, hash: string) {
    this.entries.splice(this.at + 1, Infinity, { hash, state });
    this.at++;
  }
  replace(state: unknown, hash?: string) {
    this.entries[this.at] = { hash: hash ?? this.hash(), state };
  }
  go(delta: number) {
    this.#queue.push(() => {
      const before = this.hash();
      this.at = Math.min(Math.max(this.at + delta, 0), this.entries.length - 1);
      if (this.hash() !== before) this.#fire();
    });
  }
  listen(fn: () => void) {
    this.#listeners.push(fn);
  }
  /** visit follows a link (or the address bar) to hash. */
  visit(hash: string) {
    this.entries.splice(this.at + 1, Infinity, { hash, state: null });
    this.at++;
    this.#queue.push(() => this.#fire());
  }
  back() {
    this.go(-1);
  }
  forward() {
    this.go(1);
  }
  /** settle runs what the browser would do next, until nothing is left. */
  settle() {
    for (let i = 0; this.#queue.length > 0; i++) {
      if (i > 50) throw new Error("history does not settle");
      this.#queue.shift()!();
    }
  }
  hashes() {
    return this.entries.map((e) => e.hash);
  }
  #fire() {
    for (const fn of this.#listeners) fn();
  }
}
