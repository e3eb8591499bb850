// A real OpenID Provider (panva/oidc-provider, certified) for the sso package's tests.
//
//   node oidc-provider.mjs <node_modules dir> <config.json>
//
// It listens on 127.0.0.1 on the port the configuration names (0 = any free port), builds
// its issuer from the port it actually bound, and prints one JSON line
// {"issuer": "...", "pid": ...} on stdout once it is ready. It stops on SIGTERM/SIGINT or
// when its standard input closes, so it never outlives the test that started it.
//
// config.json: {"port": 0, "jwks": {"keys": [private JWKs]}, "idTokenTTL": 3600}
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

const [modulesDir, configFile] = process.argv.slice(2);
if (!modulesDir || !configFile) {
  console.error('usage: node oidc-provider.mjs <node_modules dir> <config.json>');
  process.exit(2);
}
const settings = JSON.parse(readFileSync(configFile, 'utf8'));

// The package is installed with the frontend's devDependencies, not beside this script:
// resolve it from there.
const require = createRequire(path.join(path.resolve(modulesDir), '..', 'package.json'));
const { default: Provider } = await import(pathToFileURL(require.resolve('oidc-provider')).href);

// Accounts: any login the form is given signs in. "anna" becomes anna@example.org;
// a login that is already an address keeps it.
function account(id) {
  const email = id.includes('@') ? id.toLowerCase() : `${id.toLowerCase()}@example.org`;
  const local = email.split('@')[0];
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email,
        email_verified: true,
        name: local.charAt(0).toUpperCase() + local.slice(1),
      };
    },
  };
}

const nativeClient = (id) => ({
  client_id: id,
  application_type: 'native',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  // RFC 8252 §7.3: for loopback redirects the provider ignores the port, not the host.
  redirect_uris: ['http://127.0.0.1/callback', 'http://[::1]/callback'],
});

// The portal's own pages sign people in too, through its /auth/callback on 127.0.0.1.
const portalClient = { ...nativeClient('gatehouse-portal'), redirect_uris: ['http://127.0.0.1/auth/callback'] };

const configuration = {
  clients: [nativeClient('gatehouse-desktop'), nativeClient('another-app'), portalClient],
  clientBasedCORS: () => false,
  findAccount: (ctx, id) => account(id),
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  scopes: ['openid', 'offline_access', 'email', 'profile'],
  // Put the e-mail and name into the ID token itself: the portal server reads them from it.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    revocation: { enabled: true },
  },
  jwks: settings.jwks,
  cookies: { keys: [randomBytes(32).toString('hex')] },
  ttl: {
    IdToken: settings.idTokenTTL || 3600,
    AccessToken: 3600,
    AuthorizationCode: 60,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
    RefreshToken: 86400,
  },
  // A plain error page the tests can read (the default one pulls in web fonts).
  renderError(ctx, out) {
    const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><title>oidc-provider error</title><h1>${esc(out.error)}</h1><p>${esc(out.error_description)}</p>`;
  },
};

const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(settings.port || 0, '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;
const provider = new Provider(issuer, configuration);
provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error:', err));
server.on('request', provider.callback());

process.stdout.write(`${JSON.stringify({ issuer, pid: process.pid })}\n`);

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
