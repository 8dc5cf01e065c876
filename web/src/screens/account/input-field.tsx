// The shared Field with `autocomplete` and `required`, which its props type (global HTML
// attributes) leaves out; password managers and one-time-code autofill need the first,
// screen readers announce the second.

import { useState } from "preact/hooks";
import { Field, type FieldProps } from "../../ui/forms";

type Extra = { autocomplete?: string; required?: boolean };

export function InputField({ autocomplete, required, ...props }: FieldProps & Extra) {
  const extra = { autocomplete, required } as Partial<FieldProps>;
  return <Field {...props} {...extra} />;
}

/** A password field with a "Show" switch in its label row, for typing on a phone. */
export function PasswordField(props: Omit<FieldProps, "type"> & Extra) {
  const [shown, setShown] = useState(false);
  return (
    <div class="password-field">
      <InputField {...props} type={shown ? "text" : "password"} />
      <button type="button" class="reveal" aria-pressed={shown} onClick={() => setShown(!shown)}>
        {shown ? "Hide" : "Show"}
      </button>
    </div>
  );
}
