// Meetup check-ins: plan one before meeting someone (when, where, with which match), with
// meeting-spot suggestions between the two of you; the list of those planned and past.

import { useState } from "preact/hooks";
import { ApiError, messageOf } from "../../api/client";
import { navigate } from "../../router";
import { Field, FormError, useSubmit } from "../../ui/forms";
import { Icon } from "../../ui/icons";
import { Button, Empty, LoadError, Loading, Screen } from "../../ui/kit";
import { useLoad } from "../../ui/use-load";
import { type Checkin, type Match, type MeetingSpots, safetyApi } from "./api";
import { dayAndTime, fromLocalInput, toLocalInput } from "./format";
import { currentPosition } from "./geo";

export const STATUS_TEXT: Record<Checkin["status"], string> = {
  ACTIVE: "Planned",
  CONFIRMED: "Safe",
  CANCELLED: "Cancelled",
  ESCALATED: "Missed: contacts told",
};

/** The nearest few public places are enough to choose from on a phone. */
const SPOTS_SHOWN = 5;

function inTwoHours(): string {
  const date = new Date(Date.now() + 2 * 3_600_000);
  date.setMinutes(Math.ceil(date.getMinutes() / 15) * 15, 0, 0);
  return toLocalInput(date);
}

function Spots({ matchId, onPick }: { matchId: string; onPick: (name: string) => void }) {
  const [spots, setSpots] = useState<MeetingSpots | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const find = async () => {
    setBusy(true);
    setProblem(null);
    try {
      setSpots(await safetyApi.spots(matchId, await currentPosition()));
    } catch (error) {
      setProblem(messageOf(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="spots">
      <Button variant="secondary" busy={busy} onClick={find}>
        Suggest public places to meet
      </Button>
      {problem && (
        <p class="field-error" role="alert">
          {problem}
        </p>
      )}
      {spots && (
        <div aria-live="polite">
          {spots.spots.length === 0 ? (
            <p class="muted">No public places known nearby. Type a place you both know.</p>
          ) : (
            <>
              <p class="hint">
                {spots.basis === "both"
                  ? "Public places roughly between the two of you:"
                  : "Public places near you (once your match asks too, the suggestions sit between you):"}
              </p>
              <ul class="chips" aria-label="Suggested places">
                {spots.spots.slice(0, SPOTS_SHOWN).map((spot) => (
                  <li key={spot.id}>
                    <button type="button" class="chip" onClick={() => onPick(spot.name)}>
                      {spot.name}{" "}
                      <span class="spot-kind">· {spot.category.replace(/_/g, " ")}</span>
                    </button>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </div>
  );
}

function Plan({ matches, onPlanned }: { matches: Match[]; onPlanned: (c: Checkin) => void }) {
  const [matchId, setMatchId] = useState(matches[0]?.id ?? "");
  const [when, setWhen] = useState(inTwoHours);
  const [place, setPlace] = useState("");
  const [note, setNote] = useState("");
  const form = useSubmit(async () => {
    const dueAt = fromLocalInput(when);
    if (!dueAt) {
      throw new ApiError(422, "VALIDATION_FAILED", "", [
        { field: "dueAt", message: "Choose a day and a time." },
      ]);
    }
    const planned = await safetyApi.schedule({
      dueAt,
      ...(matchId ? { matchId } : {}),
      ...(place.trim() ? { place: place.trim() } : {}),
      ...(note.trim() ? { note: note.trim() } : {}),
    });
    onPlanned(planned);
  });
  return (
    <form class="card" onSubmit={form.submit} noValidate>
      <h2>Plan a check-in</h2>
      <div class="field">
        <label for="checkin-match">Who you are meeting</label>
        <select
          id="checkin-match"
          value={matchId}
          onChange={(event) => setMatchId(event.currentTarget.value)}
        >
          {matches.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name}
            </option>
          ))}
          <option value="">Someone else (not a match)</option>
        </select>
        {form.fieldErrors.matchId && <p class="field-error">{form.fieldErrors.matchId}</p>}
      </div>
      <Field
        label="Check in by"
        name="dueAt"
        type="datetime-local"
        value={when}
        onValue={setWhen}
        error={form.fieldErrors.dueAt}
        hint="Confirm you are fine by then. If you do not, your emergency contacts are told 10 minutes later."
      />
      <Field
        label="Where (optional)"
        name="place"
        value={place}
        onValue={setPlace}
        maxLength={200}
        error={form.fieldErrors.place}
      />
      {matchId && <Spots matchId={matchId} onPick={setPlace} />}
      <Field
        label="Note for your contacts (optional)"
        name="note"
        value={note}
        onValue={setNote}
        maxLength={500}
        error={form.fieldErrors.note}
        hint="Only sent to your contacts if you miss the check-in."
      />
      <FormError message={form.error} />
      <Button type="submit" busy={form.busy}>
        Plan check-in
      </Button>
    </form>
  );
}

export function CheckinRow({ checkin, who }: { checkin: Checkin; who: string | null }) {
  return (
    <li>
      <a class="hub-row" href={`#/safety/checkins/${checkin.id}`}>
        <span class="icon-tile">
          <Icon name="clock" size={22} />
        </span>
        <span class="grow">
          <span class="hub-title">{who ? `Meeting ${who}` : "Check-in"}</span>
          <span class="hub-state">
            {dayAndTime(checkin.dueAt)}
            {checkin.place ? ` · ${checkin.place}` : ""}
          </span>
        </span>
        <span class={`status-pill ${checkin.status.toLowerCase()}`}>
          {STATUS_TEXT[checkin.status]}
        </span>
      </a>
    </li>
  );
}

export function CheckinsScreen() {
  const loaded = useLoad(() => Promise.all([safetyApi.checkins(), safetyApi.matches()]));
  const [checkins, matches] =
    loaded.state === "ready" ? [loaded.value[0].checkins, loaded.value[1].matches] : [null, []];
  const names = new Map(matches.map((m) => [m.id, m.name]));
  const upcoming = (checkins ?? []).filter(
    (c) => c.status === "ACTIVE" || c.status === "ESCALATED",
  );
  const past = (checkins ?? []).filter((c) => !upcoming.includes(c)).slice(0, 10);
  return (
    <Screen title="Meetup check-ins" back="/safety">
      <p class="muted">
        Meeting someone new? Plan a check-in. Disco reminds you 15 minutes before it is due; if you
        do not confirm you are fine, your emergency contacts are told.
      </p>
      {loaded.state === "failed" ? (
        <LoadError message={loaded.message} retry={loaded.reload} />
      ) : !checkins ? (
        <Loading />
      ) : (
        <>
          {upcoming.length > 0 && (
            <ul class="card hub-list" aria-label="Planned check-ins">
              {upcoming.map((c) => (
                <CheckinRow
                  key={c.id}
                  checkin={c}
                  who={c.matchId ? (names.get(c.matchId) ?? null) : null}
                />
              ))}
            </ul>
          )}
          <Plan matches={matches} onPlanned={(c) => navigate(`/safety/checkins/${c.id}`)} />
          <h2>Past check-ins</h2>
          {past.length === 0 ? (
            <Empty title="None yet" />
          ) : (
            <ul class="card hub-list" aria-label="Past check-ins">
              {past.map((c) => (
                <CheckinRow
                  key={c.id}
                  checkin={c}
                  who={c.matchId ? (names.get(c.matchId) ?? null) : null}
                />
              ))}
            </ul>
          )}
        </>
      )}
    </Screen>
  );
}
