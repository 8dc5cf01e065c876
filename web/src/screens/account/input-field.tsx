// The shared Field with `autocomplete` and `required`, which its props type (global HTML
// attributes) leaves out; password managers and one-time-code autofill need the first,
// screen readers announce the second.

import { Field, type FieldProps } from "../../ui/forms";

type Extra = { autocomplete?: string; required?: boolean };

export function InputField({ autocomplete, required, ...props }: FieldProps & Extra) {
  const extra = { autocomplete, required } as Partial<FieldProps>;
  return <Field {...props} {...extra} />;
}
