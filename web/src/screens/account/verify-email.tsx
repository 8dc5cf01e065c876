// The link in the verification mail: `#/verify-email?token=...` (made by the auth service).

import { useEffect, useState } from "preact/hooks";
import { messageOf } from "../../api/client";
import { current } from "../../api/session";
import type { RouteProps } from "../../routes";
import { Loading } from "../../ui/kit";
import { accountApi } from "./api";
import { AuthCard } from "./parts";

type State = { kind: "checking" } | { kind: "verified" } | { kind: "failed"; message: string };

export function VerifyEmail({ query }: RouteProps) {
  // Read once: the one-time token leaves the address bar (and history) straight away.
  const [token] = useState(() => query.get("token"));
  const [state, setState] = useState<State>(
    token ? { kind: "checking" } : { kind: "failed", message: "This link has no code in it." },
  );
  useEffect(() => {
    history.replaceState(null, "", "#/verify-email");
    if (!token) return;
    accountApi.verifyEmail(token).then(
      () => setState({ kind: "verified" }),
      (error: unknown) => setState({ kind: "failed", message: messageOf(error) }),
    );
  }, [token]);
  const onwards = current.value ? (
    <a class="btn btn-primary block" href="#/me">
      Continue to Disco
    </a>
  ) : (
    <a class="btn btn-primary block" href="#/login">
      Sign in
    </a>
  );
  return (
    <AuthCard title="Confirm your email">
      {state.kind === "checking" && <Loading label="Checking your link…" />}
      {state.kind === "verified" && (
        <>
          <p class="notice success" role="status">
            Your email address is verified. Thank you!
          </p>
          {onwards}
        </>
      )}
      {state.kind === "failed" && (
        <>
          <p class="form-error" role="alert">
            {state.message}
          </p>
          <p class="muted">
            Links work once and expire. Signed in, you can ask for a new one from your profile.
          </p>
          {onwards}
        </>
      )}
    </AuthCard>
  );
}
