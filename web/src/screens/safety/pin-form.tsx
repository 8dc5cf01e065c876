// Choosing the safety PIN (and the duress PIN, which ends an alert only in appearance): the
// fields and their checks, shared by the PIN screen and the alert screen.

import { useState } from "preact/hooks";
import { ApiError } from "../../api/client";
import { Field } from "../../ui/forms";
import { safetyApi } from "./api";

const PIN = /^[0-9]{4,12}$/;

/** The problems of a PIN form before anything is sent, as the API would name them. */
export function pinProblems(values: {
  pin: string;
  repeat: string;
  duressPin: string;
  currentPin: string | null;
}): { field: string; message: string }[] {
  const problems = [];
  if (values.currentPin !== null && !PIN.test(values.currentPin)) {
    problems.push({ field: "currentPin", message: "Enter your current PIN (4 to 12 digits)." });
  }
  if (!PIN.test(values.pin)) problems.push({ field: "pin", message: "Use 4 to 12 digits." });
  else if (values.repeat !== values.pin) {
    problems.push({ field: "repeat", message: "The two PINs are not the same." });
  }
  if (values.duressPin && !PIN.test(values.duressPin)) {
    problems.push({ field: "duressPin", message: "Use 4 to 12 digits, or leave it empty." });
  } else if (values.duressPin && values.duressPin === values.pin) {
    problems.push({ field: "duressPin", message: "The duress PIN must differ from your PIN." });
  }
  return problems;
}

export interface PinForm {
  needsCurrent: boolean;
  withDuress: boolean;
  values: { pin: string; repeat: string; duressPin: string; currentPin: string };
  set: (name: "pin" | "repeat" | "duressPin" | "currentPin", value: string) => void;
  /** Checks and saves; the new PIN, or throws for the form to show. */
  save: () => Promise<string>;
}

export function usePinForm(needsCurrent: boolean, withDuress = false): PinForm {
  const [values, setValues] = useState({ pin: "", repeat: "", duressPin: "", currentPin: "" });
  return {
    needsCurrent,
    withDuress,
    values,
    set: (name, value) => setValues((old) => ({ ...old, [name]: value })),
    save: async () => {
      const problems = pinProblems({
        ...values,
        currentPin: needsCurrent ? values.currentPin : null,
      });
      if (problems.length > 0)
        throw new ApiError(422, "VALIDATION_FAILED", problems[0]?.message ?? "", problems);
      await safetyApi.setPin({
        pin: values.pin,
        ...(withDuress && values.duressPin ? { duressPin: values.duressPin } : {}),
        ...(needsCurrent ? { currentPin: values.currentPin } : {}),
      });
      return values.pin;
    },
  };
}

const digits = { type: "password", inputMode: "numeric", autoComplete: "off" } as const;

export function PinFields({ form, errors }: { form: PinForm; errors: Record<string, string> }) {
  return (
    <>
      {form.needsCurrent && (
        <Field
          label="Current PIN"
          name="currentPin"
          {...digits}
          value={form.values.currentPin}
          onValue={(v) => form.set("currentPin", v)}
          error={errors.currentPin}
        />
      )}
      <Field
        label={form.needsCurrent ? "New PIN" : "Choose a PIN"}
        name="pin"
        {...digits}
        value={form.values.pin}
        onValue={(v) => form.set("pin", v)}
        error={errors.pin}
        hint="4 to 12 digits. You will need it to end an alert."
      />
      <Field
        label="Repeat the PIN"
        name="repeat"
        {...digits}
        value={form.values.repeat}
        onValue={(v) => form.set("repeat", v)}
        error={errors.repeat}
      />
      {form.withDuress && (
        <Field
          label="Duress PIN (optional)"
          name="duressPin"
          {...digits}
          value={form.values.duressPin}
          onValue={(v) => form.set("duressPin", v)}
          error={errors.duressPin}
          hint="If someone forces you to end an alert, enter this one instead. The screen shows the alert ended, as usual, but your contacts are told you may be in danger and keep seeing where you are."
        />
      )}
    </>
  );
}
