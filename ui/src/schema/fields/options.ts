import type { Collection, Field } from "../../lib/api";

/** OptionsProps are what every options editor takes. */
export interface OptionsProps<F extends Field> {
  field: F;
  self: Collection;
  all: Collection[];
  /** errors are the server's messages about the field's options, by option name ("min"). */
  errors: Record<string, string>;
}

/** optionId is the id of the input of a field's option. */
export function optionId(field: Field, option: string): string {
  return `field-${field.id}-${option}`;
}

/** noteId is the id of the message under an option's input: its error, else its hint. */
export function noteId(field: Field, option: string): string {
  return `${optionId(field, option)}-note`;
}

/** OptionAttrs tie an option's input to its label and to the message under it. */
export interface OptionAttrs {
  id: string;
  "aria-invalid"?: "true";
  "aria-describedby"?: string;
}

/** optionAttrs are the attributes of an option's input; hinted says whether a hint shows under it while there is no error. */
export function optionAttrs(field: Field, option: string, errors: Record<string, string>, hinted = false): OptionAttrs {
  const attrs: OptionAttrs = { id: optionId(field, option) };
  if (errors[option]) attrs["aria-invalid"] = "true";
  if (errors[option] || hinted) attrs["aria-describedby"] = noteId(field, option);
  return attrs;
}
