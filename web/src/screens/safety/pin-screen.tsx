// Setting or changing the safety PIN, and the optional duress PIN.

import { useState } from "preact/hooks";
import { FormError, useSubmit } from "../../ui/forms";
import { Button, LoadError, Loading, Screen } from "../../ui/kit";
import { useLoad } from "../../ui/use-load";
import { safetyApi } from "./api";
import { PinFields, usePinForm } from "./pin-form";

function PinForm({ isSet, onSaved }: { isSet: boolean; onSaved: () => void }) {
  const pinForm = usePinForm(isSet, true);
  const form = useSubmit(async () => {
    await pinForm.save();
    onSaved();
  });
  return (
    <form class="card" onSubmit={form.submit} noValidate>
      <h2>{isSet ? "Change your PIN" : "Choose your PIN"}</h2>
      <PinFields form={pinForm} errors={form.fieldErrors} />
      <FormError message={form.error} />
      <Button type="submit" busy={form.busy}>
        Save PIN
      </Button>
    </form>
  );
}

export function PinScreen() {
  const loaded = useLoad(() => safetyApi.pinState());
  const [saves, setSaves] = useState(0);
  return (
    <Screen title="Safety PIN" back="/safety">
      <p class="muted">
        An emergency alert ends only with your PIN, so nobody who takes your phone can stop it.
      </p>
      {saves > 0 && (
        <p class="notice success" role="status">
          Your PIN is saved.
        </p>
      )}
      {loaded.state === "failed" ? (
        <LoadError message={loaded.message} retry={loaded.reload} />
      ) : loaded.state === "loading" ? (
        <Loading />
      ) : (
        // A fresh, empty form after each save.
        <PinForm
          key={saves}
          isSet={loaded.value.set}
          onSaved={() => {
            loaded.set({ set: true });
            setSaves((n) => n + 1);
          }}
        />
      )}
    </Screen>
  );
}
