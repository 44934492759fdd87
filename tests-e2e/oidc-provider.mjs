// A real OpenID Provider (npm oidc-provider) on 127.0.0.1 for Rathaus's single sign-on tests.
//
//   PORT=9090 REDIRECT_URI=http://127.0.0.1:8080/login/oidc/callback node oidc-provider.mjs
//
// One confidential client "rathaus" / CLIENT_SECRET (default "rathaus-test-secret"), authorization code
// flow only, PKCE required. Dev interactions: the login form accepts any login name (password ignored);
// the name is the subject. Its e-mail address is the name itself when it contains "@" (else
// name@musterstadt.test), reported as verified unless the name starts with "unverified.".
// Prints "OIDC ready <issuer>" once listening. Test use only: keys are generated at every start.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT ?? 9090);
const issuer = `http://127.0.0.1:${port}`;
const redirectUri = process.env.REDIRECT_URI;
if (!redirectUri) {
  console.error('REDIRECT_URI is required');
  process.exit(2);
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `rs-${Date.now()}`, use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'rathaus',
    client_secret: process.env.CLIENT_SECRET ?? 'rathaus-test-secret',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingKey] },
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    claims: async () => ({
      sub,
      email: sub.includes('@') ? sub : `${sub}@musterstadt.test`,
      email_verified: !sub.startsWith('unverified.'),
      name: `Test ${sub}`,
    }),
  }),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  cookies: { keys: ['rathaus-test-cookie-key'] },
  ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Session: 600, Interaction: 600, Grant: 600 },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

const server = provider.listen(port, '127.0.0.1', () => console.log(`OIDC ready ${issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
