// A password field with a "Show" switch in its label row, for typing on a phone.

import { useState } from "preact/hooks";
import { Field, type FieldProps } from "../../ui/forms";

export function PasswordField(props: Omit<FieldProps, "type">) {
  const [shown, setShown] = useState(false);
  return (
    <div class="password-field">
      <Field {...props} type={shown ? "text" : "password"} />
      <button type="button" class="reveal" aria-pressed={shown} onClick={() => setShown(!shown)}>
        {shown ? "Hide" : "Show"}
      </button>
    </div>
  );
}
