import type { Component } from "svelte";
import type { FieldType } from "../../lib/api";
import AutodateOptions from "./AutodateOptions.svelte";
import BoolOptions from "./BoolOptions.svelte";
import DateOptions from "./DateOptions.svelte";
import DomainOptions from "./DomainOptions.svelte";
import EditorOptions from "./EditorOptions.svelte";
import JSONOptions from "./JSONOptions.svelte";
import NumberOptions from "./NumberOptions.svelte";
import PasswordOptions from "./PasswordOptions.svelte";
import RelationOptions from "./RelationOptions.svelte";
import SelectOptions from "./SelectOptions.svelte";
import TextOptions from "./TextOptions.svelte";

/** optionEditors holds the options editor of each field type. */
// Each editor takes its own field type; the row picks the one matching field.type.
export const optionEditors: Record<FieldType, Component<any>> = {
  text: TextOptions,
  number: NumberOptions,
  bool: BoolOptions,
  email: DomainOptions,
  url: DomainOptions,
  editor: EditorOptions,
  date: DateOptions,
  autodate: AutodateOptions,
  select: SelectOptions,
  json: JSONOptions,
  relation: RelationOptions,
  password: PasswordOptions,
};
