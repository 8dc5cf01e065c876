// Emergency contacts: who an alert or a missed check-in reaches. Each must confirm by the link
// mailed to them before they are told anything; until then they show as waiting.

import { useState } from "preact/hooks";
import { messageOf } from "../../api/client";
import { initialOf } from "../../ui/format";
import { Field, FormError, useSubmit } from "../../ui/forms";
import { Button, Empty, LoadError, Loading, Screen } from "../../ui/kit";
import { toast } from "../../ui/toasts";
import { useLoad } from "../../ui/use-load";
import { type Contact, safetyApi } from "./api";

function ContactRow({ contact, onChange }: { contact: Contact; onChange: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState<"resend" | "remove" | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const run = async (what: "resend" | "remove") => {
    setBusy(what);
    setProblem(null);
    try {
      if (what === "resend") {
        await safetyApi.resendContact(contact.id);
        toast(`A new link is on its way to ${contact.name}.`, { tone: "success" });
      } else {
        await safetyApi.removeContact(contact.id);
        onChange();
      }
    } catch (error) {
      setProblem(messageOf(error));
    } finally {
      setBusy(null);
      setConfirming(false);
    }
  };
  const confirmed = contact.status === "confirmed";
  return (
    <li class="contact">
      <div class="contact-main">
        <span class="avatar" aria-hidden="true">
          {initialOf(contact.name)}
        </span>
        <div class="grow">
          <p class="contact-name">{contact.name}</p>
          <p class="muted contact-detail">
            {contact.email}
            {contact.phone ? ` · ${contact.phone}` : ""}
          </p>
        </div>
        <span class={`status-pill ${confirmed ? "ok" : "waiting"}`}>
          {confirmed ? "✓ Confirmed" : "Waiting"}
        </span>
      </div>
      {!confirmed && (
        <p class="hint">
          {contact.name} has been mailed a link. They are told nothing until they follow it.
        </p>
      )}
      {problem && (
        <p class="field-error" role="alert">
          {problem}
        </p>
      )}
      {confirming ? (
        <div class="row confirm-row">
          <span class="grow">Remove {contact.name}?</span>
          <Button variant="ghost" onClick={() => setConfirming(false)}>
            Keep
          </Button>
          <Button variant="danger" busy={busy === "remove"} onClick={() => run("remove")}>
            Remove
          </Button>
        </div>
      ) : (
        <div class="row contact-actions">
          {!confirmed && (
            <Button variant="ghost" busy={busy === "resend"} onClick={() => run("resend")}>
              Resend link
            </Button>
          )}
          <Button
            variant="ghost"
            aria-label={`Remove ${contact.name}`}
            onClick={() => setConfirming(true)}
          >
            Remove
          </Button>
        </div>
      )}
    </li>
  );
}

function AddContact({ onAdded }: { onAdded: () => void }) {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [phone, setPhone] = useState("");
  const form = useSubmit(async () => {
    const added = await safetyApi.addContact({
      name: name.trim(),
      email: email.trim(),
      ...(phone.trim() ? { phone: phone.trim() } : {}),
    });
    setName("");
    setEmail("");
    setPhone("");
    toast(`${added.name} has been asked to confirm.`, { tone: "success" });
    onAdded();
  });
  return (
    <form class="card" onSubmit={form.submit} noValidate>
      <h2>Add a contact</h2>
      <Field
        label="Name"
        name="name"
        value={name}
        onValue={setName}
        autoComplete="off"
        error={form.fieldErrors.name}
      />
      <Field
        label="Email"
        name="email"
        type="email"
        value={email}
        onValue={setEmail}
        autoComplete="off"
        error={form.fieldErrors.email}
        hint="They get a link to confirm; alerts reach them by email."
      />
      <Field
        label="Mobile number (optional)"
        name="phone"
        type="tel"
        value={phone}
        onValue={setPhone}
        autoComplete="off"
        error={form.fieldErrors.phone}
        hint="With a number they are also told by text message."
      />
      <FormError message={form.error} />
      <Button type="submit" busy={form.busy}>
        Add contact
      </Button>
    </form>
  );
}

export function ContactsScreen() {
  const loaded = useLoad(() => safetyApi.contacts());
  const contacts = loaded.state === "ready" ? loaded.value.contacts : undefined;
  return (
    <Screen title="Emergency contacts" back="/safety">
      <p class="muted">
        When you raise an alert or miss a check-in, these people are told at once, with a link to
        follow where you are.
      </p>
      <div class="card">
        {loaded.state === "failed" ? (
          <LoadError message={loaded.message} retry={loaded.reload} />
        ) : !contacts ? (
          <Loading />
        ) : contacts.length === 0 ? (
          <Empty title="No emergency contacts yet">Add someone you trust. Up to five people.</Empty>
        ) : (
          <ul class="list contacts" aria-label="Your emergency contacts">
            {contacts.map((contact) => (
              <ContactRow key={contact.id} contact={contact} onChange={loaded.reload} />
            ))}
          </ul>
        )}
      </div>
      {contacts && contacts.length < 5 && <AddContact onAdded={loaded.reload} />}
    </Screen>
  );
}
