import { api, type Assignment, type Role } from "../lib/api";
import { toasts } from "../lib/toast.svelte";
import { builtIns, isUserKey, orderSubjects } from "./matrix";

/** RoleInfo is a role with what the assignments say about it. */
export interface RoleInfo extends Role {
  builtIn: boolean;
  /** users is how many users hold the role directly. */
  users: number;
  /** parents are the roles it inherits from; children the roles inheriting from it. */
  parents: string[];
  children: string[];
}

/** roleInfos joins roles and assignments, built-in roles first. */
export function roleInfos(roles: Role[], assignments: Assignment[]): RoleInfo[] {
  const byName = new Map(roles.map((r) => [r.name, r]));
  return orderSubjects(byName.keys()).map((name) => {
    const r = byName.get(name)!;
    const roleEdges = assignments.filter((a) => !isUserKey(a.subject));
    return {
      ...r,
      builtIn: builtIns.includes(name),
      users: assignments.filter((a) => a.role === name && isUserKey(a.subject)).length,
      parents: roleEdges.filter((a) => a.subject === name).map((a) => a.role).sort(),
      children: roleEdges.filter((a) => a.role === name).map((a) => a.subject).sort(),
    };
  });
}

class AccessState {
  roles = $state<Role[]>([]);
  assignments = $state<Assignment[]>([]);
  loading = $state(false);
  loaded = $state(false);
  error = $state("");

  infos = $derived(roleInfos(this.roles, this.assignments));
  /** names are every role name, built-ins first. */
  names = $derived(this.infos.map((r) => r.name));

  async reload() {
    this.loading = true;
    try {
      const [roles, assignments] = await Promise.all([api.rbac.roles(), api.rbac.assignments()]);
      this.roles = roles;
      this.assignments = assignments;
      this.loaded = true;
      this.error = "";
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
      toasts.error(err);
    } finally {
      this.loading = false;
    }
  }
}

/** access holds the roles and assignments as the screens last read them. */
export const access = new AccessState();
