// Sign-in with an OpenID provider, for a browser: a button per configured provider, and the
// return from the provider, which comes back to `/?oauth=<provider>&code=…&state=…` (a
// redirect URI may carry no fragment, so it cannot be a hash route).

import { useEffect, useState } from "preact/hooks";
import { call, messageOf } from "../../api/client";
import { session, type TokenPair } from "../../api/session";
import { navigate } from "../../router";
import { Loading } from "../../ui/kit";
import type { MfaRequired } from "./api";
import { SecondFactor } from "./login";
import { AuthCard } from "./parts";

/** The provider's answer, taken out of the address bar at start-up (it works once). */
let answer: { provider: string; params: URLSearchParams } | null = null;

/** Called once before the app renders: a return from a provider becomes the `/oauth` screen. */
export function takeOAuthReturn(): void {
  const params = new URLSearchParams(location.search);
  const provider = params.get("oauth");
  if (!provider) return;
  params.delete("oauth");
  answer = { provider, params };
  history.replaceState(null, "", location.pathname); // the code and state leave the address bar
  navigate("/oauth", { replace: true });
}

function returnUrl(provider: string): string {
  return `${location.origin}/?oauth=${encodeURIComponent(provider)}`;
}

/** One "Continue with …" button per provider Disco is configured with; nothing when none. */
export function ProviderButtons() {
  const [providers, setProviders] = useState<string[]>([]);
  useEffect(() => {
    call<{ providers: string[] }>("/v1/auth/oauth/providers").then(
      (found) => setProviders(found.providers),
      () => setProviders([]), // no buttons is the right answer when the list cannot be had
    );
  }, []);
  if (providers.length === 0) return null;
  return (
    <div class="providers stack">
      <p class="divider">
        <span>or</span>
      </p>
      {providers.map((name) => (
        <a
          key={name}
          class="btn btn-secondary block"
          href={`/v1/auth/oauth/${encodeURIComponent(name)}/authorize?redirectUri=${encodeURIComponent(returnUrl(name))}`}
        >
          Continue with {name.charAt(0).toUpperCase() + name.slice(1)}
        </a>
      ))}
    </div>
  );
}

/** The return from the provider: signs in, or asks for the second factor. */
export function OAuthReturn() {
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    const taken = answer;
    answer = null;
    if (!taken) {
      setProblem("This sign-in has already been used. Please start again.");
      return;
    }
    // The callback checks the browser's binding cookie, which this same-origin call carries.
    const path = `/v1/auth/oauth/${encodeURIComponent(taken.provider)}/callback?${taken.params}`;
    call<TokenPair | MfaRequired>(path).then(
      (result) => ("mfaRequired" in result ? setMfaToken(result.mfaToken) : done(result)),
      (caught: unknown) => setProblem(messageOf(caught)),
    );
  }, []);
  const done = (pair: TokenPair) => {
    session.save(pair);
    navigate("/discover", { replace: true });
  };
  if (mfaToken) {
    return (
      <SecondFactor
        mfaToken={mfaToken}
        onDone={done}
        onRestart={() => navigate("/login", { replace: true })}
      />
    );
  }
  return (
    <AuthCard title="Signing you in" lead="Finishing the sign-in with your provider.">
      {problem ? (
        <div class="stack">
          <p class="form-error" role="alert">
            {problem}
          </p>
          <a class="btn btn-primary block" href="#/login">
            Back to sign-in
          </a>
        </div>
      ) : (
        <Loading label="Signing you in…" />
      )}
    </AuthCard>
  );
}
