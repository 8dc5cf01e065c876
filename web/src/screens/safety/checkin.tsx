// One check-in: when it is due and where, "I'm safe" to end it, the meetup mode that keeps
// the phone checking in while the meetup is under way, and the rating once it is over.

import { useState } from "preact/hooks";
import { messageOf } from "../../api/client";
import type { RouteProps } from "../../routes";
import { Button, LoadError, Loading, Screen, Toggle } from "../../ui/kit";
import { useLoad } from "../../ui/use-load";
import { type Checkin, safetyApi } from "./api";
import { STATUS_TEXT } from "./checkins";
import { clockTime, dayAndTime, dueIn } from "./format";
import { beating, startHeartbeat, stopHeartbeat } from "./heartbeat";
import { RateMeetup } from "./rating";

async function load(id: string): Promise<{ checkin: Checkin | null; who: string | null }> {
  const [{ checkins }, { matches }] = await Promise.all([
    safetyApi.checkins(),
    safetyApi.matches().catch(() => ({ matches: [] })),
  ]);
  const checkin = checkins.find((c) => c.id === id) ?? null;
  const who = matches.find((m) => m.id === checkin?.matchId)?.name ?? null;
  return { checkin, who };
}

function Running({ checkin, onChange }: { checkin: Checkin; onChange: (c: Checkin) => void }) {
  const [busy, setBusy] = useState<"confirm" | "cancel" | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const beat = beating.value?.id === checkin.id ? beating.value : null;
  const act = async (what: "confirm" | "cancel") => {
    setBusy(what);
    setProblem(null);
    try {
      const next = await (what === "confirm"
        ? safetyApi.confirm(checkin.id)
        : safetyApi.cancelCheckin(checkin.id));
      if (beat) stopHeartbeat();
      onChange(next);
    } catch (error) {
      setProblem(messageOf(error));
    } finally {
      setBusy(null);
    }
  };
  const late = new Date(checkin.dueAt).getTime() < Date.now();
  return (
    <>
      <div class={`card checkin-due${late ? " late" : ""}`}>
        <p class="checkin-when">{dueIn(checkin.dueAt)}</p>
        <p>
          Check in by <strong>{dayAndTime(checkin.dueAt)}</strong>
          {checkin.status === "ESCALATED"
            ? ". You missed it, so your emergency contacts were told. Tell them you are fine:"
            : ". Disco reminds you 15 minutes before."}
        </p>
        {problem && (
          <p class="form-error" role="alert">
            {problem}
          </p>
        )}
        <Button
          class="btn btn-primary block btn-big"
          busy={busy === "confirm"}
          onClick={() => act("confirm")}
        >
          I'm safe
        </Button>
      </div>
      <div class="card">
        <Toggle
          label="Meetup under way"
          checked={beat !== null}
          onChange={(on) => (on ? startHeartbeat(checkin.id) : stopHeartbeat())}
          hint="While it is on, this phone checks in every 2 minutes. If it goes quiet for 15 minutes, your contacts are told."
        />
        {beat && (
          <p class="muted" aria-live="polite">
            {beat.problem
              ? `Last check-in failed: ${beat.problem}`
              : beat.lastAt
                ? `Checked in at ${clockTime(new Date(beat.lastAt).toISOString())}.`
                : "Checking in…"}
          </p>
        )}
      </div>
      {cancelling ? (
        <div class="card row">
          <span class="grow">Cancel this check-in? Nobody will be told.</span>
          <Button variant="ghost" onClick={() => setCancelling(false)}>
            Keep it
          </Button>
          <Button variant="danger" busy={busy === "cancel"} onClick={() => act("cancel")}>
            Cancel it
          </Button>
        </div>
      ) : (
        <Button variant="ghost" class="btn btn-ghost block" onClick={() => setCancelling(true)}>
          Cancel check-in
        </Button>
      )}
    </>
  );
}

export function CheckinScreen({ params }: RouteProps) {
  const id = params.id ?? "";
  const loaded = useLoad(() => load(id), [id]);
  const data = loaded.state === "ready" ? loaded.value : null;
  const checkin = data?.checkin;
  const title = data?.who ? `Meeting ${data.who}` : "Check-in";
  return (
    <Screen title={title} back="/safety/checkins">
      {loaded.state === "failed" ? (
        <LoadError message={loaded.message} retry={loaded.reload} />
      ) : !data ? (
        <Loading />
      ) : !checkin ? (
        <p class="card">This check-in does not exist any more.</p>
      ) : (
        <>
          <p class="checkin-meta">
            <span class={`status-pill ${checkin.status.toLowerCase()}`}>
              {STATUS_TEXT[checkin.status]}
            </span>
            {checkin.place && <span> · {checkin.place}</span>}
          </p>
          {checkin.status === "ACTIVE" || checkin.status === "ESCALATED" ? (
            <Running
              checkin={checkin}
              onChange={(c) => loaded.state === "ready" && loaded.set({ ...data, checkin: c })}
            />
          ) : checkin.status === "CONFIRMED" ? (
            <>
              <p class="card notice success" role="status">
                You checked in safe
                {checkin.confirmedAt ? ` at ${clockTime(checkin.confirmedAt)}` : ""}.
              </p>
              {checkin.matchId && <RateMeetup matchId={checkin.matchId} who={data.who} />}
            </>
          ) : (
            <p class="card">This check-in was cancelled.</p>
          )}
          {checkin.note && <p class="muted">Note for your contacts: {checkin.note}</p>}
        </>
      )}
    </Screen>
  );
}
