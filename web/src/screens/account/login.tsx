// Sign in: email and password (with this browser's device token), then a second factor when
// the account has two-factor on; afterwards, back to where the person was headed.

import { useEffect, useRef, useState } from "preact/hooks";
import { endedBecause, session, type TokenPair } from "../../api/session";
import { navigate } from "../../router";
import type { RouteProps } from "../../routes";
import { Field, FormError, useSubmit } from "../../ui/forms";
import { Button } from "../../ui/kit";
import { accountApi } from "./api";
import { nextPath } from "./logic";
import { ProviderButtons } from "./oauth";
import { AuthCard } from "./parts";
import { PasswordField } from "./password-field";

export function Login({ query }: RouteProps) {
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const next = nextPath(query.get("next"));
  const done = (pair: TokenPair) => {
    session.save(pair);
    navigate(next, { replace: true });
  };
  return mfaToken ? (
    <SecondFactor mfaToken={mfaToken} onDone={done} onRestart={() => setMfaToken(null)} />
  ) : (
    <Password onDone={done} onSecondFactor={setMfaToken} />
  );
}

function Password({
  onDone,
  onSecondFactor,
}: {
  onDone: (pair: TokenPair) => void;
  onSecondFactor: (mfaToken: string) => void;
}) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const ended = endedBecause.value;
  const form = useSubmit(async () => {
    const address = email.trim();
    const deviceToken = session.deviceToken(address);
    const answer = await accountApi.login({
      email: address,
      password,
      ...(deviceToken ? { deviceToken } : {}),
    });
    if ("mfaRequired" in answer) onSecondFactor(answer.mfaToken);
    else onDone(answer);
  });
  return (
    <AuthCard
      title="Welcome back"
      lead="Sign in to see who's around."
      footer={
        <p>
          New to Disco? <a href="#/signup">Create an account</a>
        </p>
      }
    >
      {ended && (
        <p class="notice" role="status">
          {ended}
        </p>
      )}
      <form onSubmit={form.submit} noValidate>
        <Field
          label="Email"
          name="email"
          type="email"
          value={email}
          onValue={setEmail}
          error={form.fieldErrors.email}
          autocomplete="username"
          required
        />
        <PasswordField
          label="Password"
          name="password"
          value={password}
          onValue={setPassword}
          error={form.fieldErrors.password}
          autocomplete="current-password"
          required
        />
        <p class="aside-link">
          <a href="#/forgot-password">Forgot your password?</a>
        </p>
        <FormError message={form.error} />
        <Button type="submit" busy={form.busy}>
          Sign in
        </Button>
      </form>
      <ProviderButtons />
    </AuthCard>
  );
}

export function SecondFactor({
  mfaToken,
  onDone,
  onRestart,
}: {
  mfaToken: string;
  onDone: (pair: TokenPair) => void;
  onRestart: () => void;
}) {
  const [code, setCode] = useState("");
  const box = useRef<HTMLFormElement>(null);
  // The code is the only thing asked for here, and the next thing typed: focus it (after
  // the card has focused its heading, which a child's effect does first).
  useEffect(() => box.current?.querySelector("input")?.focus(), []);
  const form = useSubmit(async () => {
    onDone(await accountApi.verifyTwoFactor(mfaToken, code.trim()));
  });
  return (
    <AuthCard
      title="Two-factor sign-in"
      lead="Enter the 6-digit code from your authenticator app, or one of your recovery codes."
      footer={
        <p>
          <button type="button" class="link" onClick={onRestart}>
            Use another account
          </button>
        </p>
      }
    >
      <form ref={box} onSubmit={form.submit} noValidate>
        <Field
          label="Authentication code"
          name="code"
          value={code}
          onValue={setCode}
          error={form.fieldErrors.code}
          autocomplete="one-time-code"
          spellcheck={false}
          required
        />
        <FormError message={form.error} />
        <Button type="submit" busy={form.busy}>
          Verify
        </Button>
      </form>
    </AuthCard>
  );
}
