// Settings: two-factor sign-in — set up with a QR code (drawn here, from the otpauth URI),
// confirm with a code, keep the recovery codes; or turn it off with a code.

import { useEffect, useState } from "preact/hooks";
import QRCode from "qrcode";
import { Field, FormError, useSubmit } from "../../ui/forms";
import { Button, Card, LoadError, Loading, Screen } from "../../ui/kit";
import { toast } from "../../ui/toasts";
import { useLoad } from "../../ui/use-load";
import { accountApi } from "./api";

type Stage =
  | { kind: "idle" }
  | { kind: "scanning"; secret: string; uri: string }
  | { kind: "codes"; codes: string[] };

export function SecuritySettings() {
  const loaded = useLoad(() => accountApi.authMe());
  const [stage, setStage] = useState<Stage>({ kind: "idle" });
  const start = useSubmit(async () => {
    const setup = await accountApi.setupTwoFactor();
    setStage({ kind: "scanning", secret: setup.secret, uri: setup.otpauthUri });
  });
  const enabled = loaded.state === "ready" && loaded.value.twoFactorEnabled;
  const setEnabled = (on: boolean) =>
    loaded.state === "ready" && loaded.set({ ...loaded.value, twoFactorEnabled: on });
  return (
    <Screen title="Two-factor sign-in" back="/me">
      {loaded.state === "loading" && <Loading />}
      {loaded.state === "failed" && <LoadError message={loaded.message} retry={loaded.reload} />}
      {loaded.state === "ready" && stage.kind === "codes" && (
        <RecoveryCodes codes={stage.codes} onDone={() => setStage({ kind: "idle" })} />
      )}
      {loaded.state === "ready" && stage.kind === "scanning" && (
        <Scan
          secret={stage.secret}
          uri={stage.uri}
          onEnabled={(codes) => {
            setEnabled(true);
            setStage({ kind: "codes", codes });
          }}
          onCancel={() => setStage({ kind: "idle" })}
        />
      )}
      {loaded.state === "ready" && stage.kind === "idle" && !enabled && (
        <Card>
          <p class="status-line">
            <span class="status-dot off" aria-hidden="true" /> Two-factor sign-in is <b>off</b>
          </p>
          <p>
            Protect your account with a code from an authenticator app each time you sign in on a
            new device.
          </p>
          <FormError message={start.error} />
          <Button busy={start.busy} onClick={() => void start.submit()}>
            Set up two-factor
          </Button>
        </Card>
      )}
      {loaded.state === "ready" && stage.kind === "idle" && enabled && (
        <TurnOff onOff={() => setEnabled(false)} />
      )}
    </Screen>
  );
}

function Scan({
  secret,
  uri,
  onEnabled,
  onCancel,
}: {
  secret: string;
  uri: string;
  onEnabled: (codes: string[]) => void;
  onCancel: () => void;
}) {
  const [qr, setQr] = useState<string | null>(null);
  const [code, setCode] = useState("");
  useEffect(() => {
    QRCode.toDataURL(uri, { margin: 1, width: 220, errorCorrectionLevel: "M" }).then(
      setQr,
      () => setQr(null), // the key below works without the picture
    );
  }, [uri]);
  const form = useSubmit(async () => {
    onEnabled((await accountApi.enableTwoFactor(code.replace(/\s/g, ""))).recoveryCodes);
  });
  return (
    <Card>
      <h2 class="card-title">1. Scan this code</h2>
      <p>
        Open your authenticator app (Google Authenticator, 1Password, Aegis…) and add an account.
      </p>
      <div class="qr">
        {qr ? (
          <img
            src={qr}
            width={220}
            height={220}
            alt="QR code to add Disco to your authenticator app"
          />
        ) : (
          <Loading label="Drawing the code…" />
        )}
      </div>
      <p class="hint">Can't scan? Enter this key instead:</p>
      <p class="secret">
        <code data-secret={secret}>{secret.match(/.{1,4}/g)?.join(" ")}</code>
      </p>
      <h2 class="card-title">2. Enter the code it shows</h2>
      <form onSubmit={form.submit} noValidate>
        <Field
          label="6-digit code"
          name="code"
          value={code}
          onValue={setCode}
          error={form.fieldErrors.code}
          inputMode="numeric"
          autocomplete="one-time-code"
          spellcheck={false}
        />
        <FormError message={form.error} />
        <Button type="submit" busy={form.busy}>
          Turn on two-factor
        </Button>
      </form>
      <Button variant="ghost" class="btn btn-ghost block" onClick={onCancel}>
        Cancel
      </Button>
    </Card>
  );
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const download = () => {
    const blob = new Blob([`Disco recovery codes\n\n${codes.join("\n")}\n`], {
      type: "text/plain",
    });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = "disco-recovery-codes.txt";
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <Card>
      <p class="notice success" role="status">
        Two-factor sign-in is on. Other devices were signed out.
      </p>
      <h2 class="card-title">Your recovery codes</h2>
      <p>
        Each code signs you in once if you lose your phone. Keep them somewhere safe: they are not
        shown again.
      </p>
      <ul class="codes" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <div class="stack">
        <Button variant="secondary" class="btn btn-secondary block" onClick={download}>
          Download codes
        </Button>
        <Button class="btn btn-primary block" onClick={onDone}>
          I've saved them
        </Button>
      </div>
    </Card>
  );
}

function TurnOff({ onOff }: { onOff: () => void }) {
  const [code, setCode] = useState("");
  const form = useSubmit(async () => {
    await accountApi.disableTwoFactor(code.trim());
    toast("Two-factor sign-in is off.", { tone: "warning" });
    onOff();
  });
  return (
    <Card>
      <p class="status-line">
        <span class="status-dot on" aria-hidden="true" /> Two-factor sign-in is <b>on</b>
      </p>
      <p>New devices need a code from your authenticator app, or a recovery code.</p>
      <h2 class="card-title">Turn it off</h2>
      <form onSubmit={form.submit} noValidate>
        <Field
          label="Code from your app or a recovery code"
          name="code"
          value={code}
          onValue={setCode}
          error={form.fieldErrors.code}
          autocomplete="one-time-code"
          spellcheck={false}
        />
        <FormError message={form.error} />
        <Button type="submit" variant="danger" busy={form.busy}>
          Turn off two-factor
        </Button>
      </form>
    </Card>
  );
}
