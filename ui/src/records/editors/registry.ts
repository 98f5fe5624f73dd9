import type { Component } from "svelte";
import type { FieldType } from "../../lib/api";
import BoolInput from "./BoolInput.svelte";
import DateInput from "./DateInput.svelte";
import FileInput from "./FileInput.svelte";
import GeoPointInput from "./GeoPointInput.svelte";
import JSONInput from "./JSONInput.svelte";
import NumberInput from "./NumberInput.svelte";
import PasswordInput from "./PasswordInput.svelte";
import ReadonlyValue from "./ReadonlyValue.svelte";
import RelationInput from "./RelationInput.svelte";
import RichInput from "./RichInput.svelte";
import SelectInput from "./SelectInput.svelte";
import TextInput from "./TextInput.svelte";

/** valueEditors holds the record value editor of each field type; each takes
 * {field, value (bindable), id, error, disabled} and its own extras. */
export const valueEditors: Record<FieldType, Component<any>> = {
  text: TextInput,
  email: TextInput,
  url: TextInput,
  number: NumberInput,
  bool: BoolInput,
  date: DateInput,
  autodate: ReadonlyValue,
  select: SelectInput,
  json: JSONInput,
  relation: RelationInput,
  editor: RichInput,
  password: PasswordInput,
  geoPoint: GeoPointInput,
  file: FileInput,
};

/** readonlyEditor shows a value that cannot be changed. */
export const readonlyEditor: Component<any> = ReadonlyValue;
