// A real OpenID provider for the integration tests: panva/node-oidc-provider with one client.
//
//   OIDC_PORT=9000 OIDC_REDIRECT_URIS="http://127.0.0.1:8000/v1/auth/oauth/local/callback" \
//   OIDC_CLIENT_ID=disco OIDC_CLIENT_SECRET=... node provider.mjs
//
// Sign-in uses the provider's development interactions: plain HTML forms where any login and
// any password are accepted. The login becomes the account id and, with an "@", the email.
// A login starting with "unverified" gets email_verified=false, so tests can exercise both.
import { generateKeyPairSync, randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is required`);
    process.exit(2);
  }
  return value;
};

const port = Number(env('OIDC_PORT'));
const issuer = `http://127.0.0.1:${port}`;

// A fresh signing key per run: nothing secret is committed, and clients must fetch the JWKS.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' };

function claimsOf(accountId) {
  const email = accountId.includes('@') ? accountId : undefined;
  return {
    sub: accountId,
    email,
    email_verified: email ? !accountId.startsWith('unverified') : undefined,
    given_name: 'Ada',
    family_name: 'Lovelace',
  };
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: env('OIDC_CLIENT_ID'),
      client_secret: env('OIDC_CLIENT_SECRET'),
      redirect_uris: env('OIDC_REDIRECT_URIS').split(' '),
      grant_types: ['authorization_code'],
      response_types: ['code'],
    },
  ],
  // Confidential clients may skip PKCE by default; this provider insists on it.
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  scopes: ['openid', 'email', 'profile'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'family_name'],
  },
  findAccount: (_ctx, id) => ({ accountId: id, claims: () => claimsOf(id) }),
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
});

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
