/** RoleForm is what the role dialog edits. */
export interface RoleForm {
  name: string;
  description: string;
  /** parents are the roles it inherits from. */
  parents: string[];
}

/** roleForm is the form for role as it is, or an empty one for a new role. */
export function roleForm(role: RoleForm | null): RoleForm {
  return { name: role?.name ?? "", description: role?.description ?? "", parents: [...(role?.parents ?? [])] };
}

/** roleChanged reports whether form differs from start; the order of the parents does not count. */
export function roleChanged(start: RoleForm, form: RoleForm): boolean {
  if (form.name !== start.name || form.description !== start.description) return true;
  const before = new Set(start.parents);
  const after = new Set(form.parents);
  return before.size !== after.size || [...after].some((p) => !before.has(p));
}
