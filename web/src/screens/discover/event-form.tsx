// Hosting an event: what, when, and where (here, where the host stands now: no map tiles
// come from the internet, and an event's place is public by the host's choice).

import { useState } from "preact/hooks";
import { authed } from "../../api/client";
import { navigate } from "../../router";
import { Field, FormError, useSubmit } from "../../ui/forms";
import { Icon } from "../../ui/icons";
import { Button, Loading, Screen } from "../../ui/kit";
import { toast } from "../../ui/toasts";
import { usePosition } from "./events";
import type { LocalEvent } from "./model";

const FIELDS = ["title", "description", "place", "capacity", "startsAt", "endsAt"];

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/** Local "YYYY-MM-DD" and "HH:MM" for a date, as date and time inputs take them. */
function localParts(at: Date): { date: string; time: string } {
  return {
    date: `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}`,
    time: `${pad(at.getHours())}:${pad(at.getMinutes())}`,
  };
}

/** The next whole hour, and two hours after it: a sensible first guess. */
function defaults(now: Date): { date: string; start: string; end: string } {
  const start = new Date(now);
  start.setMinutes(0, 0, 0);
  start.setHours(start.getHours() + 1);
  const end = new Date(start.getTime() + 2 * 3_600_000);
  const s = localParts(start);
  return { date: s.date, start: s.time, end: localParts(end).time };
}

/** The end on the start's day, or the next day when it is at or before the start (late). */
function span(date: string, start: string, end: string): { startsAt: Date; endsAt: Date } {
  const startsAt = new Date(`${date}T${start}`);
  const endsAt = new Date(`${date}T${end}`);
  if (endsAt.getTime() <= startsAt.getTime()) endsAt.setDate(endsAt.getDate() + 1);
  return { startsAt, endsAt };
}

export function NewEventScreen() {
  const where = usePosition();
  const first = defaults(new Date());
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [place, setPlace] = useState("");
  const [capacity, setCapacity] = useState("");
  const [date, setDate] = useState(first.date);
  const [start, setStart] = useState(first.start);
  const [end, setEnd] = useState(first.end);
  const form = useSubmit(async () => {
    if (where === null || typeof where === "string") {
      throw new Error("Your location is needed to place the event.");
    }
    const { startsAt, endsAt } = span(date, start, end);
    if (Number.isNaN(startsAt.getTime()) || Number.isNaN(endsAt.getTime())) {
      throw new Error("Choose a date and times for the event.");
    }
    const body: Record<string, unknown> = {
      title: title.trim(),
      description: description.trim(),
      startsAt: startsAt.toISOString(),
      endsAt: endsAt.toISOString(),
      latitude: where.latitude,
      longitude: where.longitude,
    };
    if (place.trim()) body.place = place.trim();
    if (capacity.trim()) body.capacity = Number(capacity);
    const event = await authed<LocalEvent>("/v1/events", { method: "POST", body });
    toast(`"${event.title}" is on. People nearby can join it now.`, { tone: "success" });
    navigate("/events");
  });
  // A problem the server pins on no field of this form (the whole event, say) shows once, above.
  const stray = Object.entries(form.fieldErrors)
    .filter(([name]) => !FIELDS.includes(name))
    .map(([, message]) => message);
  const error = form.error ?? (stray.length ? stray.join(" ") : null);
  return (
    <Screen title="Host an event" back="/events">
      <form onSubmit={(event) => void form.submit(event)} noValidate class="card">
        <Field
          label="What's happening"
          name="title"
          value={title}
          onValue={setTitle}
          error={form.fieldErrors.title}
        />
        <div class="field">
          <label for="dsc-description">Details (optional)</label>
          <textarea
            id="dsc-description"
            value={description}
            maxLength={2000}
            onInput={(event) => setDescription(event.currentTarget.value)}
          />
          {form.fieldErrors.description && (
            <p class="field-error">{form.fieldErrors.description}</p>
          )}
        </div>
        <Field
          label="Place name"
          name="place"
          value={place}
          onValue={setPlace}
          error={form.fieldErrors.place}
          hint="Say where to find you, e.g. “Front terrace, Rose Café”."
        />
        <Field
          label="Date"
          name="date"
          type="date"
          value={date}
          onValue={setDate}
          error={form.fieldErrors.startsAt}
        />
        <div class="dsc-two">
          <Field label="Starts" name="start" type="time" value={start} onValue={setStart} />
          <Field
            label="Ends"
            name="end"
            type="time"
            value={end}
            onValue={setEnd}
            error={form.fieldErrors.endsAt}
          />
        </div>
        <Field
          label="How many people, you included (optional)"
          name="capacity"
          type="number"
          inputMode="numeric"
          value={capacity}
          onValue={setCapacity}
          error={form.fieldErrors.capacity}
        />
        <div class="dsc-place-note">
          {where === null ? (
            <Loading label="Finding your location…" />
          ) : typeof where === "string" ? (
            <p class="notice warning">
              The event is placed where you are now, and your location is{" "}
              {where === "denied" ? "blocked for Disco" : "not available"}. Allow it in your
              browser's site settings to host an event.
            </p>
          ) : (
            <p class="hint">
              <Icon name="pin" size={16} /> The event is placed where you are now. Its place is
              public: everyone nearby can see it.
            </p>
          )}
        </div>
        <FormError message={error} />
        <Button type="submit" busy={form.busy} disabled={typeof where === "string"}>
          Create event
        </Button>
      </form>
    </Screen>
  );
}
