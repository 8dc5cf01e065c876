// Sign up: name, email and password; then the first-run flow.

import { useState } from "preact/hooks";
import { session } from "../../api/session";
import { navigate } from "../../router";
import { Field, FormError, useSubmit } from "../../ui/forms";
import { Button } from "../../ui/kit";
import { accountApi } from "./api";
import { AuthCard } from "./parts";
import { PasswordField } from "./password-field";

export function Signup() {
  const [firstName, setFirstName] = useState("");
  const [lastName, setLastName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const form = useSubmit(async () => {
    const pair = await accountApi.signup({
      email: email.trim(),
      password,
      firstName: firstName.trim(),
      lastName: lastName.trim(),
    });
    session.save(pair);
    navigate("/onboarding", { replace: true });
  });
  return (
    <AuthCard
      title="Create your account"
      lead="It takes a minute. You choose what anyone sees."
      footer={
        <p>
          Already have an account? <a href="#/login">Sign in</a>
        </p>
      }
    >
      <form onSubmit={form.submit} noValidate>
        <div class="two-up">
          <Field
            label="First name"
            name="firstName"
            value={firstName}
            onValue={setFirstName}
            error={form.fieldErrors.firstName}
            autocomplete="given-name"
            required
          />
          <Field
            label="Last name"
            name="lastName"
            value={lastName}
            onValue={setLastName}
            error={form.fieldErrors.lastName}
            autocomplete="family-name"
            required
          />
        </div>
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
        <PasswordField
          label="Password"
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
          Create account
        </Button>
        <p class="fine-print">
          We'll email you a link to confirm your address. Disco is for people aged 18 and over.
        </p>
      </form>
    </AuthCard>
  );
}
