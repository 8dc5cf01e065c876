// The emergency button on every signed-in screen, guarded against accidental taps: hold it
// for two seconds (a ring fills as you hold), or tap it and a five-second countdown starts
// that can still be cancelled. Both work from the keyboard (hold Enter or Space, or press).

import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { navigate } from "../../router";
import { alertPhase, raiseAlert } from "./alert-state";

export const HOLD_MS = 2_000;
export const COUNTDOWN_S = 5;
const RING = 2 * Math.PI * 34; // the progress ring's circumference (r = 34)

function send(): void {
  navigate("/alert");
  void raiseAlert();
}

function Countdown({ onCancel }: { onCancel: () => void }) {
  const [left, setLeft] = useState(COUNTDOWN_S);
  const cancel = useRef<HTMLButtonElement>(null);
  // The latest handler, so the parent re-rendering does not restart the count.
  const cancelled = useRef(onCancel);
  cancelled.current = onCancel;
  // A layout effect, run as the sheet appears: an Escape pressed at once must already cancel
  // (a plain effect waits for the next frame, which a busy phone may paint late).
  useLayoutEffect(() => {
    cancel.current?.focus();
    const started = Date.now();
    const timer = setInterval(() => {
      const remaining = COUNTDOWN_S - Math.floor((Date.now() - started) / 1000);
      if (remaining <= 0) {
        clearInterval(timer);
        send();
      } else {
        setLeft(remaining);
      }
    }, 200);
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") cancelled.current();
    };
    document.addEventListener("keydown", onKey);
    return () => {
      clearInterval(timer);
      document.removeEventListener("keydown", onKey);
    };
  }, []);
  return (
    <div class="sos-backdrop">
      <div
        class="sos-sheet"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="sos-count-title"
        aria-describedby="sos-count-text"
      >
        <h2 id="sos-count-title">Sending an emergency alert</h2>
        <p class="sos-count" aria-hidden="true">
          {left}
        </p>
        <p id="sos-count-text">
          In {left} second{left === 1 ? "" : "s"} your emergency contacts will be told where you
          are.
        </p>
        <div class="stack">
          <button ref={cancel} type="button" class="btn btn-secondary block" onClick={onCancel}>
            Cancel, I'm fine
          </button>
          <button type="button" class="btn btn-danger block" onClick={send}>
            Send alert now
          </button>
        </div>
      </div>
    </div>
  );
}

/** While an alert is on, the button leads back to it instead. */
function AlertOn() {
  return (
    <a class="sos sos-on" href="#/alert">
      <span class="sos-label">Alert on</span>
    </a>
  );
}

export function EmergencyButton() {
  const phase = alertPhase.value.kind;
  if (phase === "active" || phase === "locating") return <AlertOn />;
  return <HoldOrCount />;
}

function HoldOrCount() {
  const [holding, setHolding] = useState(false);
  // The press as the event handlers see it, without waiting for a render.
  const held = useRef(false);
  const [counting, setCounting] = useState(false);
  const holdTimer = useRef<ReturnType<typeof setTimeout>>();
  // Set while a press is handled by its pointer or key events, so the click that follows it
  // is not handled twice; a click alone (a screen reader's) starts the countdown.
  const pressed = useRef(false);
  const button = useRef<HTMLButtonElement>(null);
  const cancel = () => {
    setCounting(false);
    button.current?.focus(); // back where the person was
  };

  useEffect(() => () => clearTimeout(holdTimer.current), []);

  const startHold = () => {
    pressed.current = true;
    if (held.current || counting) return;
    held.current = true;
    setHolding(true);
    holdTimer.current = setTimeout(() => {
      held.current = false;
      setHolding(false);
      send();
    }, HOLD_MS);
  };
  const stopHold = (thenCount: boolean) => {
    if (!held.current) return;
    held.current = false;
    clearTimeout(holdTimer.current);
    setHolding(false);
    if (thenCount) setCounting(true);
  };
  const isPressKey = (event: KeyboardEvent) => event.key === "Enter" || event.key === " ";

  return (
    <>
      <button
        ref={button}
        type="button"
        class={`sos${holding ? " holding" : ""}`}
        aria-label="SOS emergency alert: hold for 2 seconds, or press to start a 5-second countdown"
        onPointerDown={(event) => {
          if (event.button !== 0) return;
          event.currentTarget.setPointerCapture?.(event.pointerId);
          startHold();
        }}
        onPointerUp={() => stopHold(true)}
        onPointerCancel={() => {
          pressed.current = false; // a scroll took the touch over: no click follows
          stopHold(false);
        }}
        onKeyDown={(event) => {
          if (!isPressKey(event)) return;
          event.preventDefault();
          if (!event.repeat) startHold();
        }}
        onKeyUp={(event) => {
          if (isPressKey(event)) stopHold(true);
        }}
        onClick={() => {
          if (pressed.current) {
            pressed.current = false;
            return;
          }
          setCounting(true);
        }}
        onContextMenu={(event) => event.preventDefault()}
      >
        <svg class="sos-ring" viewBox="0 0 76 76" aria-hidden="true">
          <circle cx="38" cy="38" r="34" class="sos-ring-track" />
          <circle
            cx="38"
            cy="38"
            r="34"
            class="sos-ring-fill"
            style={{ strokeDasharray: RING, strokeDashoffset: holding ? 0 : RING }}
          />
        </svg>
        <span class="sos-label" aria-hidden="true">
          SOS
        </span>
      </button>
      {holding && (
        <p class="sos-hint" role="status">
          Keep holding to send an alert…
        </p>
      )}
      {counting && <Countdown onCancel={cancel} />}
    </>
  );
}
