// Forms that show every API error once, next to what caused it.
//
// `useSubmit` runs an action and sorts its failure: problems the server pins on a field go
// under that field (`Field` reads them); anything else goes in the form's one `FormError`.

import type { ComponentChildren, JSX } from "preact";
import { useId, useState } from "preact/hooks";
import { ApiError, messageOf } from "../api/client";

export interface Submission {
  busy: boolean;
  /** The message for the whole form, when no field is to blame. */
  error: string | null;
  /** Messages per field name (the API's camelCase names). */
  fieldErrors: Record<string, string>;
  submit: (event?: Event) => Promise<void>;
  clear: () => void;
}

/** Runs `action` on submit, once at a time, and keeps what went wrong for the form to show. */
export function useSubmit(action: () => Promise<void>): Submission {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const submit = async (event?: Event) => {
    event?.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      await action();
    } catch (caught) {
      const fields = caught instanceof ApiError ? caught.fields : [];
      if (fields.length > 0) {
        setFieldErrors(Object.fromEntries(fields.map((f) => [f.field, f.message])));
      } else {
        setError(messageOf(caught));
      }
    } finally {
      setBusy(false);
    }
  };
  const clear = () => {
    setError(null);
    setFieldErrors({});
  };
  return { busy, error, fieldErrors, submit, clear };
}

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "onInput" | "value" | "label">;

export interface FieldProps extends InputProps {
  label: string;
  name: string;
  value: string;
  onValue: (value: string) => void;
  error?: string | undefined;
  hint?: ComponentChildren;
  type?: string;
}

/** A labelled input with its hint and its error, wired for screen readers. */
export function Field({ label, name, value, onValue, error, hint, ...rest }: FieldProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].join(" ").trim();
  return (
    <div class={`field${error ? " invalid" : ""}`}>
      <label for={id}>{label}</label>
      <input
        id={id}
        name={name}
        value={value}
        onInput={(event) => onValue(event.currentTarget.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={described || undefined}
        {...rest}
      />
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** The form-wide error: announced once, shown above the submit button. */
export function FormError({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p class="form-error" role="alert">
      {message}
    </p>
  );
}
