// Moderation, for accounts with the moderator role: the report queue with warn, suspend and
// ban (each confirmed first), and the feed of alerts still active, duress ones marked.

import { useState } from "preact/hooks";
import { messageOf } from "../../api/client";
import { current } from "../../api/session";
import { ago } from "../../ui/format";
import { FormError, useSubmit } from "../../ui/forms";
import { Button, Empty, LoadError, Loading, Screen } from "../../ui/kit";
import { toast } from "../../ui/toasts";
import { useLoad } from "../../ui/use-load";
import { type Alert, type ModerationAction, type ModerationReport, safetyApi } from "./api";
import { dayAndTime, fromLocalInput, toLocalInput } from "./format";
import { formatPosition } from "./geo";
import { REASONS } from "./reports";
import { isModerator } from "./roles";

const VERBS: Record<ModerationAction, string> = { warn: "Warn", suspend: "Suspend", ban: "Ban" };
const EFFECT: Record<ModerationAction, string> = {
  warn: "They get a warning in the app.",
  suspend: "They cannot sign in until the date you choose.",
  ban: "They can never sign in again.",
};

function count(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? "" : "s"}`;
}

function short(id: string): string {
  return id.slice(0, 8);
}

function Act({ report, onDone }: { report: ModerationReport; onDone: () => void }) {
  const [action, setAction] = useState<ModerationAction | null>(null);
  const [note, setNote] = useState("");
  const [until, setUntil] = useState(() => toLocalInput(new Date(Date.now() + 7 * 86_400_000)));
  const form = useSubmit(async () => {
    if (!action) return;
    const end = action === "suspend" ? fromLocalInput(until) : null;
    await safetyApi.act(report.id, {
      action,
      ...(note.trim() ? { note: note.trim() } : {}),
      ...(end ? { until: end } : {}),
    });
    toast(`${VERBS[action]}: done.`, { tone: "success" });
    onDone();
  });
  if (!action) {
    return (
      <div class="row mod-actions">
        {(Object.keys(VERBS) as ModerationAction[]).map((a) => (
          <Button
            key={a}
            variant={a === "ban" ? "danger" : "secondary"}
            onClick={() => setAction(a)}
          >
            {VERBS[a]}
          </Button>
        ))}
      </div>
    );
  }
  return (
    <form class="mod-confirm" onSubmit={form.submit} noValidate>
      <p>
        <strong>
          {VERBS[action]} account {short(report.userId)}?
        </strong>{" "}
        {EFFECT[action]}
      </p>
      {action === "suspend" && (
        <div class="field">
          <label for={`until-${report.id}`}>Suspended until</label>
          <input
            id={`until-${report.id}`}
            type="datetime-local"
            value={until}
            onInput={(event) => setUntil(event.currentTarget.value)}
          />
          {form.fieldErrors.until && <p class="field-error">{form.fieldErrors.until}</p>}
        </div>
      )}
      <div class="field">
        <label for={`note-${report.id}`}>Note (for the record)</label>
        <textarea
          id={`note-${report.id}`}
          maxLength={2000}
          value={note}
          onInput={(event) => setNote(event.currentTarget.value)}
        />
      </div>
      <FormError message={form.error} />
      <div class="row">
        <Button variant="ghost" onClick={() => setAction(null)}>
          Back
        </Button>
        <Button type="submit" variant={action === "ban" ? "danger" : "primary"} busy={form.busy}>
          Confirm: {VERBS[action].toLowerCase()}
        </Button>
      </div>
    </form>
  );
}

function ReportCard({ report, onDone }: { report: ModerationReport; onDone: () => void }) {
  const trust = report.reportedTrust;
  return (
    <li class="card mod-report">
      <div class="row">
        <h3 class="grow">{REASONS[report.reason] ?? report.reason}</h3>
        <span class={`status-pill ${report.status === "OPEN" ? "waiting" : "ok"}`}>
          {report.status === "OPEN" ? "Open" : "Actioned"}
        </span>
      </div>
      <p class="muted">
        Account {short(report.userId)} · reported by {short(report.reporterId)} ·{" "}
        {dayAndTime(report.createdAt)}
      </p>
      {report.details && <p class="mod-details">“{report.details}”</p>}
      {report.messages.length > 0 && (
        <ul class="mod-messages" aria-label="Reported messages">
          {report.messages.map((m, i) => (
            <li key={String(m.id ?? i)}>
              {String(m.text ?? "")}{" "}
              <span class="muted">
                {m.verified ? "(verified by franking)" : "(reporter's word)"}
              </span>
            </li>
          ))}
        </ul>
      )}
      <p class="muted">
        Trust {trust.score.toFixed(1)} · {count(trust.ratings, "rating")} ·{" "}
        {count(trust.reports, "report")}
      </p>
      {report.actions.length > 0 && (
        <p>
          Taken:{" "}
          {report.actions
            .map((a) => `${VERBS[a.action]}${a.until ? ` until ${dayAndTime(a.until)}` : ""}`)
            .join(", ")}
        </p>
      )}
      {report.status === "OPEN" && <Act report={report} onDone={onDone} />}
    </li>
  );
}

function AlertCard({ alert, onDone }: { alert: Alert; onDone: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <li class="card mod-alert">
      <div class="row">
        <h3 class="grow">
          {alert.type.toLowerCase()} · account {short(alert.userId ?? "")}
        </h3>
        {alert.duress && <span class="status-pill escalated">Duress PIN used</span>}
      </div>
      <p class="muted">
        Raised {ago(alert.createdAt)} ({dayAndTime(alert.createdAt)})
      </p>
      {alert.location && <p>Last position: {formatPosition(alert.location)}</p>}
      {problem && (
        <p class="field-error" role="alert">
          {problem}
        </p>
      )}
      {confirming ? (
        <div class="row">
          <span class="grow">Resolve it? Their contacts are told it has ended.</span>
          <Button variant="ghost" onClick={() => setConfirming(false)}>
            Back
          </Button>
          <Button
            busy={busy}
            onClick={async () => {
              setBusy(true);
              try {
                await safetyApi.resolveAsModerator(alert.id);
                onDone();
              } catch (error) {
                setProblem(messageOf(error));
                setBusy(false);
              }
            }}
          >
            Confirm: resolve
          </Button>
        </div>
      ) : (
        <Button variant="secondary" onClick={() => setConfirming(true)}>
          Resolve
        </Button>
      )}
    </li>
  );
}

type Tab = "OPEN" | "ACTIONED" | "alerts";

/** One tab's list, loaded afresh when the tab changes (keyed by it). */
function TabList({ tab }: { tab: Tab }) {
  const loaded = useLoad<{ reports: ModerationReport[] } | { alerts: Alert[] }>(() =>
    tab === "alerts" ? safetyApi.alertFeed() : safetyApi.queue(tab),
  );
  if (loaded.state === "failed")
    return <LoadError message={loaded.message} retry={loaded.reload} />;
  if (loaded.state === "loading") return <Loading />;
  const data = loaded.value;
  if ("alerts" in data) {
    return data.alerts.length === 0 ? (
      <Empty title="No active alerts" />
    ) : (
      <ul class="plain" aria-label="Active alerts">
        {data.alerts.map((a) => (
          <AlertCard key={a.id} alert={a} onDone={loaded.reload} />
        ))}
      </ul>
    );
  }
  return data.reports.length === 0 ? (
    <Empty title={tab === "OPEN" ? "No open reports" : "Nothing done yet"} />
  ) : (
    <ul class="plain" aria-label="Reports">
      {data.reports.map((r) => (
        <ReportCard key={r.id} report={r} onDone={loaded.reload} />
      ))}
    </ul>
  );
}

const TABS: [Tab, string][] = [
  ["OPEN", "Open"],
  ["ACTIONED", "Done"],
  ["alerts", "Alerts"],
];

export function ModerationScreen() {
  const [tab, setTab] = useState<Tab>("OPEN");
  if (!isModerator(current.value?.user, current.value?.token)) {
    return (
      <Screen title="Moderation" back="/safety">
        <p class="card">Only moderators can open this page.</p>
      </Screen>
    );
  }
  return (
    <Screen title="Moderation" back="/safety">
      <fieldset class="segmented">
        <legend class="visually-hidden">Show</legend>
        {TABS.map(([key, label]) => (
          <button key={key} type="button" aria-pressed={tab === key} onClick={() => setTab(key)}>
            {label}
          </button>
        ))}
      </fieldset>
      <TabList key={tab} tab={tab} />
    </Screen>
  );
}
