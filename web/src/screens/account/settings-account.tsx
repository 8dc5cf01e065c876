// Settings: the account itself — export my data, pause (deactivate), delete, sign out.

import { useState } from "preact/hooks";
import { Field, FormError, useSubmit } from "../../ui/forms";
import { Button, Card, LoadError, Loading, Screen } from "../../ui/kit";
import { toast } from "../../ui/toasts";
import { useLoad } from "../../ui/use-load";
import { accountApi, leave, type Profile, signOut } from "./api";

const CONFIRM_WORD = "DELETE";

export function AccountSettings() {
  const loaded = useLoad(() => accountApi.profile());
  return (
    <Screen title="Account" back="/me">
      <ExportCard />
      {loaded.state === "loading" && <Loading />}
      {loaded.state === "failed" && <LoadError message={loaded.message} retry={loaded.reload} />}
      {loaded.state === "ready" && <PauseCard profile={loaded.value} onChange={loaded.set} />}
      <Card>
        <h2 class="card-title">Sign out</h2>
        <p>Ends this device's session. Your profile stays as it is.</p>
        <Button variant="secondary" class="btn btn-secondary block" onClick={() => void signOut()}>
          Sign out
        </Button>
      </Card>
      <DeleteCard />
    </Screen>
  );
}

function ExportCard() {
  const form = useSubmit(async () => {
    const data = await accountApi.exportData();
    const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = "disco-export.json";
    a.click();
    URL.revokeObjectURL(url);
    toast("Your data is downloading as disco-export.json.", { tone: "success" });
  });
  return (
    <Card>
      <h2 class="card-title">Export my data</h2>
      <p>
        Everything Disco keeps about you — profile, settings, matches, safety records — as one JSON
        file.
      </p>
      <FormError message={form.error} />
      <Button
        variant="secondary"
        class="btn btn-secondary block"
        busy={form.busy}
        onClick={() => void form.submit()}
      >
        Download my data
      </Button>
    </Card>
  );
}

function PauseCard({ profile, onChange }: { profile: Profile; onChange: (p: Profile) => void }) {
  const paused = profile.deactivated;
  const form = useSubmit(async () => {
    onChange(paused ? await accountApi.reactivate() : await accountApi.deactivate());
    toast(paused ? "Welcome back: your account is active." : "Your account is paused.", {
      tone: "success",
    });
  });
  return (
    <Card>
      <h2 class="card-title">{paused ? "Your account is paused" : "Pause my account"}</h2>
      <p>
        {paused
          ? "Nobody can discover or match with you. Your matches and chats are kept."
          : "Hide from discovery and new matches for a while. Your profile and chats are kept, and you can come back any time."}
      </p>
      <FormError message={form.error} />
      <Button
        variant="secondary"
        class="btn btn-secondary block"
        busy={form.busy}
        onClick={() => void form.submit()}
      >
        {paused ? "Reactivate my account" : "Deactivate my account"}
      </Button>
    </Card>
  );
}

function DeleteCard() {
  const [asked, setAsked] = useState(false);
  const [typed, setTyped] = useState("");
  const form = useSubmit(async () => {
    await accountApi.deleteAccount();
    // The server has ended every session of the account: nothing left to sign out of.
    leave("Your account was deleted. We're sorry to see you go.", "/login");
  });
  return (
    <Card class="danger-zone">
      <h2 class="card-title">Delete my account</h2>
      <p>
        Deletes your profile, photo, matches, chats and contacts for good. This cannot be undone;
        export your data first if you want a copy.
      </p>
      {asked ? (
        <form onSubmit={form.submit} noValidate>
          <Field
            label={`Type ${CONFIRM_WORD} to confirm`}
            name="confirm"
            value={typed}
            onValue={setTyped}
            autocomplete="off"
            spellcheck={false}
          />
          <FormError message={form.error} />
          <Button
            type="submit"
            variant="danger"
            busy={form.busy}
            disabled={typed.trim() !== CONFIRM_WORD}
          >
            Delete my account for good
          </Button>
          <Button variant="ghost" class="btn btn-ghost block" onClick={() => setAsked(false)}>
            Keep my account
          </Button>
        </form>
      ) : (
        <Button variant="danger" class="btn btn-danger block" onClick={() => setAsked(true)}>
          Delete my account…
        </Button>
      )}
    </Card>
  );
}
