import type { Component } from "svelte";
import type { FieldType } from "../../lib/api";
import AutodateOptions, { inputs as autodateInputs } from "./AutodateOptions.svelte";
import BoolOptions, { inputs as boolInputs } from "./BoolOptions.svelte";
import DateOptions, { inputs as dateInputs } from "./DateOptions.svelte";
import DomainOptions, { inputs as domainInputs } from "./DomainOptions.svelte";
import FileOptions, { inputs as fileInputs } from "./FileOptions.svelte";
import GeoPointOptions, { inputs as geoPointInputs } from "./GeoPointOptions.svelte";
import EditorOptions, { inputs as editorInputs } from "./EditorOptions.svelte";
import JSONOptions, { inputs as jsonInputs } from "./JSONOptions.svelte";
import NumberOptions, { inputs as numberInputs } from "./NumberOptions.svelte";
import PasswordOptions, { inputs as passwordInputs } from "./PasswordOptions.svelte";
import RelationOptions, { inputs as relationInputs } from "./RelationOptions.svelte";
import SelectOptions, { inputs as selectInputs } from "./SelectOptions.svelte";
import TextOptions, { inputs as textInputs } from "./TextOptions.svelte";

/** OptionsEditor is the options editor of one field type. */
export interface OptionsEditor {
  // Each editor takes its own field type; the row picks the one matching field.type.
  component: Component<any>;
  /**
   * inputs names the options the editor shows an input for, with the
   * server's error under it, given the field as it is now; the row shows
   * errors about any other option itself.
   */
  inputs: (field: any) => string[];
}

/** optionEditors holds the options editor of each field type. */
export const optionEditors: Record<FieldType, OptionsEditor> = {
  text: { component: TextOptions, inputs: textInputs },
  number: { component: NumberOptions, inputs: numberInputs },
  bool: { component: BoolOptions, inputs: boolInputs },
  email: { component: DomainOptions, inputs: domainInputs },
  url: { component: DomainOptions, inputs: domainInputs },
  editor: { component: EditorOptions, inputs: editorInputs },
  date: { component: DateOptions, inputs: dateInputs },
  autodate: { component: AutodateOptions, inputs: autodateInputs },
  select: { component: SelectOptions, inputs: selectInputs },
  json: { component: JSONOptions, inputs: jsonInputs },
  relation: { component: RelationOptions, inputs: relationInputs },
  password: { component: PasswordOptions, inputs: passwordInputs },
  geoPoint: { component: GeoPointOptions, inputs: geoPointInputs },
  file: { component: FileOptions, inputs: fileInputs },
};
