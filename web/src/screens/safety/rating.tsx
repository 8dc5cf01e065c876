// Rating a meetup after it happened: one to five, and an optional word. Ratings are private:
// they feed the trust score moderators see, never a public score.

import { useState } from "preact/hooks";
import type { RouteProps } from "../../routes";
import { FormError, useSubmit } from "../../ui/forms";
import { Button, Screen } from "../../ui/kit";
import { safetyApi } from "./api";

const WORDS = ["", "Felt unsafe", "Not great", "Okay", "Good", "Great"];

export function RateMeetup({ matchId, who }: { matchId: string; who: string | null }) {
  const [score, setScore] = useState(0);
  const [comment, setComment] = useState("");
  const [done, setDone] = useState(false);
  const form = useSubmit(async () => {
    if (score === 0) {
      throw new Error("Choose from one to five stars.");
    }
    await safetyApi.rate({
      matchId,
      score,
      ...(comment.trim() ? { comment: comment.trim() } : {}),
    });
    setDone(true);
  });
  if (done) {
    return (
      <p class="card notice success" role="status">
        Thank you. Your rating stays private and helps keep Disco safe.
      </p>
    );
  }
  return (
    <form class="card" onSubmit={form.submit} noValidate>
      <h2>How did your meetup{who ? ` with ${who}` : ""} go?</h2>
      <fieldset class="stars">
        <legend class="visually-hidden">Your rating</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} class={`star${n <= score ? " on" : ""}`}>
            <input
              type="radio"
              name="score"
              value={n}
              checked={score === n}
              onChange={() => setScore(n)}
            />
            <span aria-hidden="true">★</span>
            <span class="visually-hidden">
              {n} star{n === 1 ? "" : "s"}: {WORDS[n]}
            </span>
          </label>
        ))}
      </fieldset>
      <p class="muted star-word" aria-hidden="true">
        {WORDS[score] || "Tap a star"}
      </p>
      <div class="field">
        <label for="rating-comment">Anything to add? (optional, private)</label>
        <textarea
          id="rating-comment"
          maxLength={1000}
          value={comment}
          onInput={(event) => setComment(event.currentTarget.value)}
        />
      </div>
      <FormError message={form.error} />
      <Button type="submit" busy={form.busy}>
        Send rating
      </Button>
      <p class="hint">
        Felt unsafe? You can also <a href="#/safety/reports">report someone</a> from your chat with
        them.
      </p>
    </form>
  );
}

export function RateScreen({ params }: RouteProps) {
  return (
    <Screen title="Rate your meetup" back="/safety/checkins">
      <RateMeetup matchId={params.matchId ?? ""} who={null} />
    </Screen>
  );
}
