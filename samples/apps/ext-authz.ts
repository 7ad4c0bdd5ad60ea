// ext-authz: an external authorizer for AuthorizationPolicy action CUSTOM, as
// Istio's samples/extauthz HTTP server behaves. The gateway's ext_authz filter sends
// it the original method and path with the headers the provider lets through; it
// allows a request carrying `x-ext-authz: allow` and denies the rest, saying why.
import http from 'node:http';
import { POD_NAME, serve } from './common.ts';

const ALLOW_HEADER = 'x-ext-authz';
const ALLOW_VALUE = 'allow';
const RESULT_HEADER = 'x-ext-authz-check-result';

const server = http.createServer((req, res) => {
  // The check carries no body the decision needs; drain whatever came.
  req.resume();
  const allowed = req.headers[ALLOW_HEADER] === ALLOW_VALUE;
  console.log(`${allowed ? 'allowed' : 'denied'} ${req.method} ${req.url}`);
  if (allowed) {
    res.writeHead(200, { [RESULT_HEADER]: 'allowed', 'x-ext-authz-pod': POD_NAME });
    res.end();
    return;
  }
  res.writeHead(403, { [RESULT_HEADER]: 'denied', 'content-type': 'text/plain' });
  res.end(
    `denied by ext_authz for not found header \`${ALLOW_HEADER}: ${ALLOW_VALUE}\` in the request`,
  );
});

serve('ext-authz', server);
