// The live alert screen: calm, large and plain. It says the alert is on and who was told,
// keeps sending the position while it lasts, and ends only with the safety PIN. Whichever PIN
// ends it (the real one or the duress one), what follows looks exactly the same.

import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../../api/client";
import { navigate } from "../../router";
import { Field, FormError, useSubmit } from "../../ui/forms";
import { Button, Loading } from "../../ui/kit";
import { useHeading } from "../../ui/use-heading";
import {
  alertPhase,
  endAlert,
  forgetAlert,
  lastSent,
  raiseAlert,
  resumeAlert,
  trackingProblem,
} from "./alert-state";
import { type Contact, safetyApi } from "./api";
import { clockTime } from "./format";
import { formatPosition } from "./geo";
import { PinFields, usePinForm } from "./pin-form";

/** The number a phone connects to the local emergency services almost everywhere. */
const EMERGENCY_NUMBER = "112";

function CallEmergency() {
  return (
    <a class="btn btn-secondary block alert-call" href={`tel:${EMERGENCY_NUMBER}`}>
      Call emergency services ({EMERGENCY_NUMBER})
    </a>
  );
}

function Told() {
  const [contacts, setContacts] = useState<Contact[] | null>(null);
  useEffect(() => {
    safetyApi.contacts().then(
      ({ contacts }) => setContacts(contacts.filter((c) => c.status === "confirmed")),
      () => setContacts(null),
    );
  }, []);
  if (contacts === null) return <p class="alert-lead">Your emergency contacts have been told.</p>;
  if (contacts.length === 0) {
    return (
      <p class="alert-lead alert-warning" role="alert">
        You have no confirmed emergency contact, so nobody could be told. Call the emergency
        services if you need help.
      </p>
    );
  }
  return (
    <p class="alert-lead">
      Your emergency contacts have been told:{" "}
      <strong>{contacts.map((c) => c.name).join(", ")}</strong>. They can see where you are until
      the alert ends.
    </p>
  );
}

function EndWithPin() {
  const [pin, setPin] = useState("");
  const form = useSubmit(async () => {
    await endAlert(pin);
  });
  return (
    <form class="card alert-end" onSubmit={form.submit} noValidate>
      <h2>End the alert</h2>
      <Field
        label="Your safety PIN"
        name="pin"
        type="password"
        inputMode="numeric"
        autoComplete="off"
        value={pin}
        onValue={setPin}
        error={form.fieldErrors.pin}
      />
      <FormError message={form.error} />
      <Button type="submit" variant="secondary" busy={form.busy}>
        End alert
      </Button>
    </form>
  );
}

/** No PIN yet: the alert cannot end until one is set, so one is set here, then used. */
function SetPinThenEnd() {
  const pinForm = usePinForm(false);
  const form = useSubmit(async () => {
    const pin = await pinForm.save();
    if (pin) await endAlert(pin);
  });
  return (
    <form class="card alert-end" onSubmit={form.submit} noValidate>
      <h2>End the alert</h2>
      <p>
        You have not set a safety PIN yet. An alert ends only with a PIN, so this one stays active
        (and your contacts keep seeing where you are) until you choose a PIN here, or Disco's safety
        team ends it.
      </p>
      <PinFields form={pinForm} errors={form.fieldErrors} />
      <FormError message={form.error} />
      <Button type="submit" variant="secondary" busy={form.busy}>
        Set PIN and end alert
      </Button>
    </form>
  );
}

function Active() {
  const heading = useHeading("Alert active");
  const [pinSet, setPinSet] = useState<boolean | null>(null);
  useEffect(() => {
    safetyApi.pinState().then(
      (state) => setPinSet(state.set),
      () => setPinSet(true), // offline: ask for the PIN; the server decides
    );
  }, []);
  const sent = lastSent.value;
  return (
    <div class="alert-screen active">
      <div class="alert-hero">
        <span class="alert-pulse" aria-hidden="true" />
        <h1 ref={heading} tabIndex={-1}>
          Alert active
        </h1>
        <Told />
      </div>
      <div class="alert-status" aria-live="polite">
        {sent ? (
          <p>
            <strong>Sharing your position.</strong> Last sent at{" "}
            {clockTime(new Date(sent.at).toISOString())}{" "}
            <span class="muted">({formatPosition(sent.position)})</span>
          </p>
        ) : (
          <p>Sharing your position…</p>
        )}
        {trackingProblem.value && <p class="alert-warning">{trackingProblem.value}</p>}
      </div>
      <CallEmergency />
      {pinSet === null ? <Loading /> : pinSet ? <EndWithPin /> : <SetPinThenEnd />}
    </div>
  );
}

function Ended() {
  const heading = useHeading("Alert ended");
  return (
    <div class="alert-screen ended">
      <div class="alert-hero">
        <span class="alert-done" aria-hidden="true">
          ✓
        </span>
        <h1 ref={heading} tabIndex={-1}>
          Alert ended
        </h1>
        <p class="alert-lead">
          We have let your emergency contacts know. Your position is no longer shared.
        </p>
      </div>
      <Button
        class="btn btn-primary block"
        onClick={() => {
          forgetAlert();
          navigate("/safety");
        }}
      >
        Done
      </Button>
    </div>
  );
}

export function AlertScreen() {
  const phase = alertPhase.value;
  const [problem, setProblem] = useState<string | null>(null);
  const [checked, setChecked] = useState(false);
  useEffect(() => {
    resumeAlert()
      .catch((error) => setProblem(messageOf(error)))
      .finally(() => setChecked(true));
  }, []);
  if (phase.kind === "active") return <Active />;
  if (phase.kind === "ended") return <Ended />;
  if (phase.kind === "failed") return <Failed message={phase.message} />;
  if (phase.kind === "locating") {
    return (
      <div class="alert-screen active">
        <div class="alert-hero">
          <span class="alert-pulse" aria-hidden="true" />
          <h1>Sending your alert…</h1>
          <Loading label="Finding where you are" />
        </div>
        <CallEmergency />
      </div>
    );
  }
  if (!checked) {
    return (
      <div class="alert-screen">
        <Loading />
      </div>
    );
  }
  return <NoAlert problem={problem} />;
}

function Failed({ message }: { message: string }) {
  const heading = useHeading("The alert was not sent");
  return (
    <div class="alert-screen failed">
      <div class="alert-hero">
        <h1 ref={heading} tabIndex={-1}>
          The alert was not sent
        </h1>
        <p class="alert-lead" role="alert">
          {message}
        </p>
      </div>
      <Button class="btn btn-danger block" onClick={() => void raiseAlert()}>
        Try again
      </Button>
      <CallEmergency />
    </div>
  );
}

function NoAlert({ problem }: { problem: string | null }) {
  const heading = useHeading("No active alert");
  return (
    <div class="alert-screen">
      <div class="alert-hero">
        <h1 ref={heading} tabIndex={-1}>
          No active alert
        </h1>
        {problem ? (
          <p class="alert-lead" role="alert">
            {problem}
          </p>
        ) : (
          <p class="alert-lead">
            Hold the SOS button on any screen to raise one. <a href="#/safety">Back to Safety</a>
          </p>
        )}
      </div>
    </div>
  );
}
