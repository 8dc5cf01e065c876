// The discovery switch: big and clear, with how long it stays on, the location permission
// asked politely (and explained when refused), and what became of the last location fix.

import { useState } from "preact/hooks";
import { FormError, useSubmit } from "../../ui/forms";
import { discovery, fix, permission, switchOff, switchOn } from "./location";
import { clockText, refusalText, type Span, untilFor } from "./logic";

const SPANS: { id: string; label: string }[] = [
  { id: "open", label: "Until I turn it off" },
  { id: "hour", label: "For 1 hour" },
  { id: "at", label: "Until a time" },
];

function spanOf(choice: string, time: string): Span {
  if (choice === "hour") return { kind: "hours", hours: 1 };
  if (choice === "at") return { kind: "at", time };
  return { kind: "open" };
}

/** What happens to the position, in a sentence (or a warning when it is not used). */
function FixStatus() {
  const state = fix.value;
  switch (state.kind) {
    case "locating":
      return (
        <p class="dsc-status" role="status">
          <span class="spinner" aria-hidden="true" /> Finding your location…
        </p>
      );
    case "accepted":
      return (
        <p class="dsc-status dsc-ok" role="status">
          <span aria-hidden="true">●</span> Sharing your location with Disco only
          {state.accuracy ? ` (accurate to about ${Math.round(state.accuracy)} m)` : ""}. Others see
          a rough distance, never where you are.
        </p>
      );
    case "refused":
      return (
        <div class="notice warning dsc-refused" role="status">
          <strong>Nobody can see you right now.</strong> {refusalText(state.reason, state.accuracy)}
        </div>
      );
    case "denied":
      return (
        <div class="notice warning" role="alert">
          <strong>Location access is blocked for Disco.</strong> Discovery needs your location to
          work out who is near. Allow it in your browser's site settings (the icon beside the
          address), then switch discovery on again.
        </div>
      );
    case "unavailable":
    case "failed":
      return (
        <div class="notice warning" role="status">
          {state.message}
        </div>
      );
    default:
      return null;
  }
}

export function SwitchCard() {
  const state = discovery.value;
  const on = state?.enabled ?? false;
  const [choice, setChoice] = useState("open");
  const [time, setTime] = useState("22:00");
  const action = useSubmit(async () => {
    if (on) await switchOff();
    else await switchOn(untilFor(spanOf(choice, time), new Date()));
  });
  const until = state?.until ? clockText(new Date(state.until), new Date()) : null;
  // On, but the last fix was not used: nobody can see the person, and the title must not say so.
  const unseen = fix.value.kind === "refused" || fix.value.kind === "denied";
  return (
    <section class={`card dsc-switch${on ? " on" : ""}`} aria-labelledby="dsc-switch-title">
      <div class="dsc-switch-row">
        <div class="grow">
          <h2 id="dsc-switch-title" class="dsc-switch-title">
            {on ? (unseen ? "Discovery is on" : "You're discoverable") : "Discovery is off"}
          </h2>
          <p class="muted dsc-switch-sub">
            {on
              ? `${until ? `On until ${until}.` : "On until you turn it off."}${
                  unseen ? "" : " People near you who share your interests can find you."
                }`
              : "Nobody sees you, and you see nobody."}
          </p>
        </div>
        <button
          type="button"
          role="switch"
          aria-checked={on}
          aria-label="Discovery"
          aria-describedby="dsc-switch-hint"
          class="dsc-big-switch"
          disabled={action.busy || state === null}
          onClick={() => void action.submit()}
        >
          <span class="dsc-knob" aria-hidden="true" />
        </button>
      </div>
      <p id="dsc-switch-hint" class="visually-hidden">
        {on ? "Switch off to stop sharing your location." : "Switch on to be discoverable."}
      </p>
      {!on && (
        <fieldset class="dsc-spans">
          <legend>How long</legend>
          <div class="dsc-span-options">
            {SPANS.map((span) => (
              <label key={span.id} class={`dsc-span${choice === span.id ? " chosen" : ""}`}>
                <input
                  type="radio"
                  name="dsc-span"
                  value={span.id}
                  checked={choice === span.id}
                  onChange={() => setChoice(span.id)}
                />
                {span.label}
              </label>
            ))}
          </div>
          {choice === "at" && (
            <div class="field dsc-time">
              <label for="dsc-until">Turn off at</label>
              <input
                id="dsc-until"
                type="time"
                value={time}
                onInput={(event) => setTime(event.currentTarget.value)}
              />
            </div>
          )}
        </fieldset>
      )}
      {!on && permission.value !== "granted" && fix.value.kind !== "denied" && (
        <p class="hint dsc-why">
          When you switch on, your browser asks to share your location. Disco uses it only while
          discovery is on, to work out who is near: others see a rough distance like "within ¼
          mile", never where you are.
        </p>
      )}
      <FormError message={action.error} />
      <FixStatus />
    </section>
  );
}
