// Settings: who sees what (per field, strangers nearby and matches), and chat privacy
// (read receipts, typing, presence), each saved as it is switched.

import { useState } from "preact/hooks";
import { messageOf } from "../../api/client";
import { Card, LoadError, Loading, Screen, Toggle } from "../../ui/kit";
import { toast } from "../../ui/toasts";
import { useLoad } from "../../ui/use-load";
import { accountApi, type ChatPrivacy, type Disclosure, type Visibility } from "./api";
import { disclose } from "./logic";

const FIELDS: { field: keyof Disclosure; label: string }[] = [
  { field: "photo", label: "Photo" },
  { field: "lastName", label: "Last name" },
  { field: "bio", label: "About you" },
  { field: "allInterests", label: "All interests" },
  { field: "activities", label: "Activities" },
];

const CHAT: { field: keyof ChatPrivacy; label: string; hint: string }[] = [
  {
    field: "readReceipts",
    label: "Read receipts",
    hint: "Off: they don't see when you've read, and you don't see theirs.",
  },
  { field: "typing", label: "Typing indicator", hint: "Show “typing…” while you write." },
  { field: "presence", label: "Online status", hint: "Show matches when you're online." },
];

export function PrivacySettings() {
  const loaded = useLoad(() => Promise.all([accountApi.profile(), accountApi.chatPrivacy()]));
  return (
    <Screen title="Privacy" back="/me">
      {loaded.state === "loading" && <Loading />}
      {loaded.state === "failed" && <LoadError message={loaded.message} retry={loaded.reload} />}
      {loaded.state === "ready" && (
        <>
          <VisibilityCard initial={loaded.value[0].visibility} />
          <ChatCard initial={loaded.value[1]} />
        </>
      )}
    </Screen>
  );
}

function VisibilityCard({ initial }: { initial: Visibility }) {
  const [visibility, setVisibility] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const change = async (audience: "nearby" | "match", field: keyof Disclosure, on: boolean) => {
    const before = visibility;
    const next = disclose(visibility, audience, field, on);
    setVisibility(next);
    setError(null);
    try {
      setVisibility((await accountApi.updateProfile({ visibility: next })).visibility);
    } catch (caught) {
      setVisibility(before);
      setError(messageOf(caught));
    }
  };
  return (
    <Card>
      <h2 class="card-title">Who sees what</h2>
      <p class="hint">
        Everyone sees your first name, your mode and the interests you share. Matches always see at
        least what people nearby see.
      </p>
      <table class="visibility">
        <caption class="visually-hidden">What people nearby and your matches see</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Nearby</th>
            <th scope="col">Matches</th>
          </tr>
        </thead>
        <tbody>
          {FIELDS.map(({ field, label }) => (
            <tr key={field}>
              <th scope="row">{label}</th>
              {(["nearby", "match"] as const).map((audience) => (
                <td key={audience}>
                  <input
                    type="checkbox"
                    class="check"
                    checked={visibility[audience][field]}
                    aria-label={`${label}: ${audience === "nearby" ? "people nearby" : "matches"}`}
                    onChange={(event) => void change(audience, field, event.currentTarget.checked)}
                  />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
    </Card>
  );
}

function ChatCard({ initial }: { initial: ChatPrivacy }) {
  const [settings, setSettings] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const change = async (field: keyof ChatPrivacy, on: boolean) => {
    const before = settings;
    setSettings({ ...settings, [field]: on });
    setError(null);
    try {
      setSettings(await accountApi.saveChatPrivacy({ [field]: on }));
      toast("Chat privacy saved.", { tone: "success" });
    } catch (caught) {
      setSettings(before);
      setError(messageOf(caught));
    }
  };
  return (
    <Card>
      <h2 class="card-title">Chat</h2>
      <p class="hint">Each works both ways: switch it off and you neither show nor see it.</p>
      {CHAT.map(({ field, label, hint }) => (
        <Toggle
          key={field}
          label={label}
          hint={hint}
          checked={settings[field]}
          onChange={(on) => void change(field, on)}
        />
      ))}
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
    </Card>
  );
}
