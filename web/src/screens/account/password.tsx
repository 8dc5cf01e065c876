// Forgotten password: ask for a link by mail; the link (`#/reset-password?token=...`, made
// by the auth service) sets a new password.

import { useEffect, useState } from "preact/hooks";
import { current, session } from "../../api/session";
import type { RouteProps } from "../../routes";
import { Field, FormError, useSubmit } from "../../ui/forms";
import { Button } from "../../ui/kit";
import { accountApi } from "./api";
import { AuthCard } from "./parts";
import { PasswordField } from "./password-field";

export function ForgotPassword() {
  const [email, setEmail] = useState("");
  const [sentTo, setSentTo] = useState<string | null>(null);
  const form = useSubmit(async () => {
    const address = email.trim();
    await accountApi.requestReset(address);
    setSentTo(address);
  });
  return (
    <AuthCard
      title="Reset your password"
      lead="We'll email you a link to choose a new one."
      footer={
        <p>
          <a href="#/login">Back to sign in</a>
        </p>
      }
    >
      {sentTo ? (
        // The server answers alike for unknown addresses, so this must not promise a mail.
        <p class="notice success" role="status">
          If {sentTo} belongs to an account, a reset link is on its way. It works for a short while,
          once.
        </p>
      ) : (
        <form onSubmit={form.submit} noValidate>
          <Field
            label="Email"
            name="email"
            type="email"
            value={email}
            onValue={setEmail}
            error={form.fieldErrors.email}
            autocomplete="email"
            required
          />
          <FormError message={form.error} />
          <Button type="submit" busy={form.busy}>
            Send reset link
          </Button>
        </form>
      )}
    </AuthCard>
  );
}

export function ResetPassword({ query }: RouteProps) {
  const [token] = useState(() => query.get("token"));
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  useEffect(() => {
    history.replaceState(null, "", "#/reset-password"); // one-time code: not for history
  }, []);
  const form = useSubmit(async () => {
    await accountApi.resetPassword(token ?? "", password);
    // A reset ends every session, this tab's included.
    if (current.value) session.clear();
    setDone(true);
  });
  if (!token) {
    return (
      <AuthCard title="Choose a new password">
        <p class="form-error" role="alert">
          This link has no reset code in it.
        </p>
        <a class="btn btn-primary block" href="#/forgot-password">
          Ask for a new link
        </a>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Choose a new password">
      {done ? (
        <>
          <p class="notice success" role="status">
            Your password has been changed. You were signed out everywhere.
          </p>
          <a class="btn btn-primary block" href="#/login">
            Sign in
          </a>
        </>
      ) : (
        <form onSubmit={form.submit} noValidate>
          <PasswordField
            label="New password"
            name="password"
            value={password}
            onValue={setPassword}
            error={form.fieldErrors.password}
            hint="At least 8 characters. A long, unusual passphrase is best."
            autocomplete="new-password"
            required
          />
          <FormError message={form.error} />
          <Button type="submit" busy={form.busy}>
            Set password
          </Button>
        </form>
      )}
    </AuthCard>
  );
}
