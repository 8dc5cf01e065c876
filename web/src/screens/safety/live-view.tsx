// The page an alert mail links to, for someone without an account: who raised the alert and
// when, where they are now and the way they came (drawn here, no map tiles), refreshed every
// few seconds, and a clear "resolved" state when it ends.

import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, messageOf } from "../../api/client";
import type { RouteProps } from "../../routes";
import { ago } from "../../ui/format";
import { Loading } from "../../ui/kit";
import { type LiveView, safetyApi } from "./api";
import { clockTime, dayAndTime } from "./format";
import { formatPosition } from "./geo";
import { TrailMap } from "./trail-map";

const REFRESH_MS = 5_000;

function osmLink(latitude: number, longitude: number): string {
  return `https://www.openstreetmap.org/?mlat=${latitude.toFixed(5)}&mlon=${longitude.toFixed(5)}#map=17/${latitude.toFixed(5)}/${longitude.toFixed(5)}`;
}

/** Active, or ended under duress (which its contacts must treat as active). */
function stillOn(view: LiveView): boolean {
  return view.status === "ACTIVE";
}

export function LiveViewScreen({ params }: RouteProps) {
  const token = params.token ?? "";
  const [view, setView] = useState<LiveView | null>(null);
  const [problem, setProblem] = useState<{ text: string; gone: boolean } | null>(null);
  const [checkedAt, setCheckedAt] = useState<number | null>(null);
  const [, tick] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const load = async () => {
      try {
        const next = await safetyApi.live(token);
        if (stopped) return;
        setView(next);
        setProblem(null);
        setCheckedAt(Date.now());
        if (!stillOn(next)) return; // ended for good: nothing more will change
      } catch (error) {
        if (stopped) return;
        const gone = error instanceof ApiError && error.status === 404;
        setProblem({ text: messageOf(error), gone });
        if (gone) return;
      }
      timer = setTimeout(load, REFRESH_MS);
    };
    void load();
    // "Updated 20 s ago" keeps counting between refreshes.
    const clock = setInterval(() => tick((n) => n + 1), 15_000);
    return () => {
      stopped = true;
      clearTimeout(timer);
      clearInterval(clock);
    };
  }, [token]);

  const title = view
    ? stillOn(view)
      ? `${view.name} needs help`
      : `${view.name} is safe`
    : "Emergency alert";
  useEffect(() => {
    document.title = `${title} · Disco`;
  }, [title]);

  if (!view) {
    return (
      <section class="screen live-page">
        <h1 ref={heading} tabIndex={-1}>
          Emergency alert
        </h1>
        {problem ? (
          <p class="live-problem" role="alert">
            {problem.text}
            {problem.gone && " Alert links stop working a day after the alert."}
          </p>
        ) : (
          <Loading label="Opening the alert…" />
        )}
      </section>
    );
  }

  const on = stillOn(view);
  const here = view.location;
  return (
    <section class={`screen live-page ${on ? "is-active" : "is-resolved"}`}>
      <div class="live-banner" role="status" aria-live="polite">
        <p class="live-state">{on ? "Alert active" : "Resolved"}</p>
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        <p>
          {on
            ? `${view.name} raised an emergency alert on Disco. ${dayAndTime(view.createdAt)}.`
            : `${view.name} ended the alert at ${clockTime(view.endedAt ?? view.createdAt)}. No need to act on it any more.`}
        </p>
      </div>
      {view.duress && (
        <p class="live-duress" role="alert">
          <strong>{view.name} may have been forced to end this alert.</strong> Their phone shows it
          as ended, but they used their duress PIN. Treat it as still active, and call the emergency
          services if you cannot reach them safely.
        </p>
      )}
      {view.message && (
        <blockquote class="live-message">
          <span class="label">Their message</span>“{view.message}”
        </blockquote>
      )}
      {here ? (
        <div class="card live-where">
          <h2>{on ? "Where they are now" : "Where they were last"}</h2>
          <TrailMap
            trail={view.trail}
            label={`${view.name}'s path: ${view.trail.length} position${view.trail.length === 1 ? "" : "s"}, the latest drawn as a large dot.`}
          />
          <p class="live-coords">
            <strong>{formatPosition(here)}</strong>
            {here.accuracyMeters ? ` (within about ${Math.round(here.accuracyMeters)} m)` : ""}
          </p>
          <p class="muted">
            Last position {ago(here.recordedAt)}, at {clockTime(here.recordedAt)}.
          </p>
          <a
            class="btn btn-secondary block"
            href={osmLink(here.latitude, here.longitude)}
            rel="noreferrer"
            target="_blank"
          >
            Open in a map
          </a>
        </div>
      ) : (
        <p class="card">No position has been shared yet.</p>
      )}
      {on && (
        <div class="card live-help">
          <h2>What you can do</h2>
          <ul>
            <li>Try to reach {view.name} by phone.</li>
            <li>
              If you think they are in danger, call the emergency services and give them the
              position above.
            </li>
          </ul>
          <a class="btn btn-danger block" href="tel:112">
            Call emergency services (112)
          </a>
        </div>
      )}
      <p class="muted live-updated" aria-live="off">
        {problem
          ? `Could not refresh: ${problem.text}`
          : on
            ? `Updates by itself every few seconds. Checked ${checkedAt ? ago(new Date(checkedAt).toISOString()) : "just now"}.`
            : "This alert has ended."}
      </p>
    </section>
  );
}
