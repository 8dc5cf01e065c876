// Local events: what's on near you (public gatherings at a place their host chose), the ones
// you host or joined, and joining or leaving each.

import { useEffect, useState } from "preact/hooks";
import { authed, messageOf } from "../../api/client";
import { timeOfDay } from "../../ui/format";
import { FormError, useSubmit } from "../../ui/forms";
import { Icon } from "../../ui/icons";
import { Button, Empty, LoadError, Loading, Screen } from "../../ui/kit";
import { eventDistance } from "./logic";
import type { LocalEvent } from "./model";

type Where = { latitude: number; longitude: number } | "denied" | "unavailable" | null;

/** The device's position once, for the nearby query (never stored: the server says so too). */
export function usePosition(): Where {
  const [where, setWhere] = useState<Where>(null);
  useEffect(() => {
    if (!("geolocation" in navigator)) {
      setWhere("unavailable");
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => setWhere({ latitude: p.coords.latitude, longitude: p.coords.longitude }),
      (error) => setWhere(error.code === error.PERMISSION_DENIED ? "denied" : "unavailable"),
      { maximumAge: 60_000, timeout: 20_000 },
    );
  }, []);
  return where;
}

export function whenText(event: LocalEvent): string {
  const start = new Date(event.startsAt);
  const end = new Date(event.endsAt);
  const day = start.toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" });
  const sameDay = start.toDateString() === end.toDateString();
  return `${day}, ${timeOfDay(start)}–${sameDay ? timeOfDay(end) : `${end.toLocaleDateString([], { day: "numeric", month: "short" })} ${timeOfDay(end)}`}`;
}

function EventCard({ event, onChange }: { event: LocalEvent; onChange: (e: LocalEvent) => void }) {
  const act = useSubmit(async () => {
    const verb = event.joined ? "leave" : "join";
    onChange(await authed<LocalEvent>(`/v1/events/${event.id}/${verb}`, { method: "POST" }));
  });
  const going = event.capacity
    ? `${event.attendees} of ${event.capacity} going`
    : `${event.attendees} going`;
  const full = event.capacity !== null && event.attendees >= event.capacity;
  const distance = eventDistance(event.distanceMeters);
  return (
    <li class="card dsc-event">
      <div class="dsc-event-date" aria-hidden="true">
        <span>{new Date(event.startsAt).toLocaleDateString([], { month: "short" })}</span>
        <strong>{new Date(event.startsAt).getDate()}</strong>
      </div>
      <div class="grow">
        <h3 class="dsc-name">{event.title}</h3>
        <p class="dsc-event-when">{whenText(event)}</p>
        <p class="muted dsc-event-where">
          {[event.place, distance].filter(Boolean).join(" · ") || "Place shared by the host"}
        </p>
        {event.description && <p class="dsc-event-desc">{event.description}</p>}
        <p class="row dsc-event-tags">
          <span class="chip">{going}</span>
          {event.hosting && <span class="chip dsc-chip-strong">You're hosting</span>}
          {!event.hosting && event.joined && (
            <span class="chip dsc-chip-strong">
              <Icon name="check" size={14} /> You're going
            </span>
          )}
        </p>
        {!event.hosting && (
          <Button
            variant={event.joined ? "secondary" : "primary"}
            busy={act.busy}
            disabled={!event.joined && full}
            onClick={() => void act.submit()}
            aria-label={`${event.joined ? "Leave" : "Join"} ${event.title}`}
          >
            {event.joined ? "Leave" : full ? "Full" : "Join"}
          </Button>
        )}
        <FormError message={act.error} />
      </div>
    </li>
  );
}

function EventList({
  events,
  label,
  onChange,
}: {
  events: LocalEvent[];
  label: string;
  onChange: (e: LocalEvent) => void;
}) {
  return (
    <ul class="list dsc-events" aria-label={label}>
      {events.map((event) => (
        <EventCard key={event.id} event={event} onChange={onChange} />
      ))}
    </ul>
  );
}

export function EventsScreen() {
  const where = usePosition();
  const [near, setNear] = useState<LocalEvent[] | null>(null);
  const [mine, setMine] = useState<LocalEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    authed<{ events: LocalEvent[] }>("/v1/events")
      .then((answer) => setMine(answer.events))
      .catch((caught) => setError(messageOf(caught)));
  }, [attempt]);
  useEffect(() => {
    if (where === null || typeof where === "string") return;
    const query = new URLSearchParams({
      latitude: String(where.latitude),
      longitude: String(where.longitude),
    });
    authed<{ events: LocalEvent[] }>(`/v1/events/nearby?${query}`)
      .then((answer) => setNear(answer.events))
      .catch((caught) => setError(messageOf(caught)));
  }, [where, attempt]);
  const changed = (event: LocalEvent) => {
    const swap = (list: LocalEvent[] | null) =>
      list?.map((e) => (e.id === event.id ? event : e)) ?? null;
    setNear(swap);
    setMine((list) => {
      const kept = swap(list)?.filter((e) => e.joined || e.hosting) ?? [];
      return event.joined && !kept.some((e) => e.id === event.id) ? [...kept, event] : kept;
    });
  };
  const retry = () => {
    setError(null);
    setAttempt((n) => n + 1);
  };
  const mineIds = new Set((mine ?? []).map((e) => e.id));
  const others = near?.filter((e) => !mineIds.has(e.id)) ?? null;
  return (
    <Screen
      title="Events nearby"
      back="/discover"
      actions={
        <a class="btn btn-primary dsc-new-event" href="#/events/new">
          <Icon name="plus" /> New
        </a>
      }
    >
      {error && <LoadError message={error} retry={retry} />}
      {mine && mine.length > 0 && (
        <section aria-labelledby="dsc-mine-title">
          <h2 id="dsc-mine-title">Your events</h2>
          <EventList events={mine} label="Your events" onChange={changed} />
        </section>
      )}
      <section aria-labelledby="dsc-near-events-title">
        <h2 id="dsc-near-events-title">Happening near you</h2>
        {where === "denied" ? (
          <div class="notice warning">
            Location access is blocked, so we can't tell which events are near. Allow it in your
            browser's site settings to see them.
          </div>
        ) : where === "unavailable" ? (
          <div class="notice warning">
            Your location isn't available, so nearby events can't be found.
          </div>
        ) : others === null ? (
          !error && <Loading label="Finding events near you…" />
        ) : others.length === 0 ? (
          <Empty title={mineIds.size ? "Nothing else on near you yet" : "Nothing on near you yet"}>
            <p>Start something: a coffee, a walk, a board game night.</p>
            <a class="btn btn-secondary" href="#/events/new">
              Host an event
            </a>
          </Empty>
        ) : (
          <EventList events={others} label="Events near you" onChange={changed} />
        )}
      </section>
    </Screen>
  );
}
