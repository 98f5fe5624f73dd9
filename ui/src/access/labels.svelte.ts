import { api } from "../lib/api";
import { collections } from "../lib/collections.svelte";
import { idsFilter, parseUserKey, userLabel } from "./users";

class UserLabels {
  /** byKey maps a user key to its label; a key that is missing is not loaded yet. */
  byKey = $state<Record<string, string>>({});

  /** label names a subject: a role's name, or a user's email when loaded. */
  label(subject: string): string {
    const u = parseUserKey(subject);
    if (!u) return subject;
    return this.byKey[subject] ?? `${collections.find(u.collectionId)?.name ?? u.collectionId}/${u.id}`;
  }

  /** load fetches the labels of users not known yet, a page per collection. */
  async load(subjects: string[]) {
    const want = new Map<string, string[]>();
    for (const s of subjects) {
      const u = parseUserKey(s);
      if (!u || s in this.byKey) continue;
      want.set(u.collectionId, [...(want.get(u.collectionId) ?? []), u.id]);
    }
    for (const [colId, ids] of want) {
      for (let i = 0; i < ids.length; i += 100) {
        const chunk = ids.slice(i, i + 100);
        try {
          const r = await api.records.list(colId, { filter: idsFilter(chunk), perPage: chunk.length, skipTotal: true });
          const found = new Map(r.items.map((x) => [x.id, userLabel(x)]));
          for (const id of chunk) this.byKey[`${colId}:${id}`] = found.get(id) ?? `${id} (deleted?)`;
        } catch {
          // labels are a convenience: keys stay shown as they are
        }
      }
    }
  }

  /** remember keeps a label already at hand. */
  remember(subject: string, label: string) {
    this.byKey[subject] = label;
  }
}

/** userLabels caches how users are named on the access screens. */
export const userLabels = new UserLabels();
