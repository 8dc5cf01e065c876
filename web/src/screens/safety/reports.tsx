// The reports the person filed (from a chat or a profile) and what became of each.

import { Empty, LoadError, Loading, Screen } from "../../ui/kit";
import { useLoad } from "../../ui/use-load";
import { safetyApi } from "./api";
import { dayAndTime } from "./format";

export const REASONS: Record<string, string> = {
  harassment: "Harassment",
  spam: "Spam",
  fake_profile: "Fake profile",
  inappropriate: "Inappropriate",
  threat: "Threat",
  underage: "Under age",
  other: "Other",
};

export function ReportsScreen() {
  const loaded = useLoad(() =>
    Promise.all([safetyApi.reports(), safetyApi.matches().catch(() => ({ matches: [] }))]),
  );
  const data = loaded.state === "ready" ? loaded.value : null;
  const reports = data?.[0].reports;
  const names = new Map((data?.[1].matches ?? []).map((m) => [m.userId, m.name]));
  return (
    <Screen title="Your reports" back="/safety">
      <p class="muted">
        Reports are reviewed by Disco's safety team. The person you report is never told who
        reported them.
      </p>
      <div class="card">
        {loaded.state === "failed" ? (
          <LoadError message={loaded.message} retry={loaded.reload} />
        ) : !reports ? (
          <Loading />
        ) : reports.length === 0 ? (
          <Empty title="No reports">
            If someone makes you uncomfortable, report them from your conversation with them.
          </Empty>
        ) : (
          <ul class="list" aria-label="Reports you filed">
            {reports.map((report) => (
              <li key={report.id}>
                <div class="grow">
                  <p class="contact-name">
                    {REASONS[report.reason] ?? report.reason}
                    {names.get(report.userId) ? `: ${names.get(report.userId)}` : ""}
                  </p>
                  <p class="muted contact-detail">Filed {dayAndTime(report.createdAt)}</p>
                  <p class="contact-detail">
                    {report.status === "OPEN"
                      ? "Being reviewed by the safety team."
                      : `Reviewed ${dayAndTime(report.updatedAt)}: the safety team took action.`}
                  </p>
                </div>
                <span class={`status-pill ${report.status === "OPEN" ? "waiting" : "ok"}`}>
                  {report.status === "OPEN" ? "In review" : "Action taken"}
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </Screen>
  );
}
