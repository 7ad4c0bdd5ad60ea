// productpage: the page users see, as bookinfo's productpage. It calls details and
// reviews through the mesh (HTTP) and renders HTML at /productpage, or JSON at
// /api/v1/products[/<id>[/reviews]]. The user is taken from an `end-user` header,
// a `user` cookie or `?u=`, and sent on as `end-user` so routes can match on it.
import http from 'node:http';
import { POD_NAME, meshGet, propagate, sendJson, serve, type Reply } from './common.ts';

const PRODUCT = {
  id: 0,
  title: 'The Comedy of Errors',
  descriptionHtml: 'A farce by William Shakespeare.',
};

function endUser(req: http.IncomingMessage, url: URL): string | undefined {
  const header = req.headers['end-user'];
  if (typeof header === 'string' && header) return header;
  const cookie = /(?:^|;\s*)user=([^;]+)/.exec(req.headers.cookie ?? '');
  return cookie?.[1] ?? url.searchParams.get('u') ?? undefined;
}

function outboundHeaders(req: http.IncomingMessage, url: URL): Record<string, string> {
  const headers = propagate(req.headers);
  const user = endUser(req, url);
  if (user) headers['end-user'] = user;
  return headers;
}

function parse(reply: Reply): Record<string, unknown> | undefined {
  if (reply.status !== 200) return undefined;
  try {
    return JSON.parse(reply.body) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Passes a backend's answer on as JSON: its body when it is JSON, else an error naming the status. */
function relay(res: http.ServerResponse, service: string, reply: Reply): void {
  const parsed = (() => {
    try {
      return JSON.parse(reply.body) as unknown;
    } catch {
      return undefined;
    }
  })();
  if (reply.status === 200 && parsed !== undefined) return sendJson(res, 200, parsed);
  const status = reply.status === 0 ? 503 : reply.status;
  sendJson(
    res,
    status,
    parsed ?? { error: `${service} answered ${reply.status || 'nothing'}: ${reply.body.trim()}` },
  );
}

const esc = (s: unknown) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

type Review = {
  reviewer: string;
  text: string;
  rating?: { stars?: number; color?: string; error?: string };
};

function page(user: string | undefined, details: Reply, reviews: Reply): string {
  const d = parse(details);
  const r = parse(reviews);
  const detailsHtml = d
    ? `<dl>${['type', 'pages', 'publisher', 'language', 'ISBN-10', 'ISBN-13'].map((k) => `<dt>${k}</dt><dd>${esc(d[k])}</dd>`).join('')}</dl>`
    : `<p class="error">Sorry, product details are currently unavailable (${esc(details.status || 'no answer')}).</p>`;
  const reviewsHtml = r
    ? (r.reviews as Review[])
        .map((x) => {
          const rating = x.rating
            ? x.rating.error
              ? `<p class="error">${esc(x.rating.error)}</p>`
              : `<p class="stars" style="color:${esc(x.rating.color)}">${'★'.repeat(x.rating.stars ?? 0)}${'☆'.repeat(5 - (x.rating.stars ?? 0))}</p>`
            : '';
          return `<blockquote><p>${esc(x.text)}</p><small>${esc(x.reviewer)}</small>${rating}</blockquote>`;
        })
        .join('') +
      `<p class="served">Reviews served by <b>${esc(r.podname)}</b> (${esc(r.version)}).</p>`
    : `<p class="error">Sorry, product reviews are currently unavailable (${esc(reviews.status || 'no answer')}).</p>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>Simple Bookstore App</title>
<link rel="stylesheet" href="/static/style.css"></head><body>
<header>Simple Bookstore App · ${user ? `signed in as <b>${esc(user)}</b>` : 'not signed in (add ?u=jason)'} · served by ${esc(POD_NAME)}</header>
<h1>${esc(PRODUCT.title)}</h1><p>${PRODUCT.descriptionHtml}</p>
<section><h2>Book Details</h2>${detailsHtml}</section>
<section><h2>Book Reviews</h2>${reviewsHtml}</section>
</body></html>`;
}

const CSS = `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:48em;color:#222}
header{background:#1f3a5f;color:#fff;padding:.5em 1em;border-radius:4px}
dt{font-weight:bold;float:left;width:8em}dd{margin:0 0 .3em 9em}
blockquote{border-left:4px solid #ccc;margin:1em 0;padding:.2em 1em}.stars{font-size:1.4em;margin:.2em 0}
.error{color:#b00020}.served{color:#555}`;

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://productpage');
  const headers = outboundHeaders(req, url);
  const path = url.pathname;
  if (path === '/health') return sendJson(res, 200, { status: 'Productpage is healthy' });
  if (path === '/static/style.css') {
    res.writeHead(200, { 'content-type': 'text/css' });
    return res.end(CSS);
  }
  if (path === '/productpage') {
    void Promise.all([
      meshGet('details', 9080, `/details/${PRODUCT.id}`, headers),
      meshGet('reviews', 9080, `/reviews/${PRODUCT.id}`, headers),
    ]).then(([d, r]) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page(headers['end-user'], d, r));
    });
    return;
  }
  if (path === '/api/v1/products') return sendJson(res, 200, [PRODUCT]);
  const m = /^\/api\/v1\/products\/(\d+)(\/reviews)?$/.exec(path);
  if (!m) return sendJson(res, 404, { error: `no such page: ${path}` });
  const [service, target] = m[2]
    ? ['reviews', `/reviews/${m[1]}`]
    : ['details', `/details/${m[1]}`];
  void meshGet(service!, 9080, target!, headers).then((reply) => relay(res, service!, reply));
});

serve('productpage', server);
