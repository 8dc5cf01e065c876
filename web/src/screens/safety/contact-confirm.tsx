// The page a contact-confirmation mail links to, for someone without an account. Agreeing is
// a button press, not the opening of the link: mail scanners open links, people press buttons.

import { useState } from "preact/hooks";
import { call } from "../../api/client";
import type { RouteProps } from "../../routes";
import { FormError, useSubmit } from "../../ui/forms";
import { Button, Card, Screen } from "../../ui/kit";

export function ContactConfirmScreen({ query }: RouteProps) {
  // Read once: after use, the one-time code leaves the address bar (and history).
  const [token] = useState(() => query.get("token") ?? "");
  const [thanks, setThanks] = useState<string | null>(null);
  const form = useSubmit(async () => {
    const answer = await call<{ message: string }>(
      `/v1/users/contacts/confirm?token=${encodeURIComponent(token)}`,
    );
    history.replaceState(null, "", "#/contacts/confirm");
    setThanks(answer.message);
  });
  return (
    <Screen title="Be an emergency contact">
      <Card>
        {thanks ? (
          <p class="notice success" role="status">
            {thanks} If they raise an alert, you will get a mail with a link to where they are.
          </p>
        ) : (
          <form onSubmit={form.submit} class="stack">
            <p>
              Someone you know named you as their emergency contact on Disco. If they ever raise an
              alert or miss a check-in, we will email you with their position, live.
            </p>
            <p class="muted">Disco never shares your address with anyone else.</p>
            <FormError message={token ? form.error : "This link has no code in it."} />
            <Button type="submit" busy={form.busy} disabled={!token}>
              Yes, I'll be their contact
            </Button>
          </form>
        )}
      </Card>
    </Screen>
  );
}
