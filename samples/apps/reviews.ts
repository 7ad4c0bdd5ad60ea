// reviews: the book's reviews, as bookinfo's reviews service in three versions
// (VERSION): v1 shows no ratings, v2 black stars, v3 red stars; v2 and v3 ask
// ratings over gRPC through the mesh. GET /reviews/<id>.
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import { POD_NAME, meshTarget, propagate, sendJson, serve } from './common.ts';

const VERSION = process.env.VERSION ?? 'v1';
const COLOR = VERSION === 'v3' ? 'red' : 'black';
const RATINGS_DEADLINE_MS = 2500;

const proto = loader.loadSync(fileURLToPath(new URL('./ratings.proto', import.meta.url)), {
  defaults: true,
});
const Ratings = (
  grpc.loadPackageDefinition(proto) as unknown as {
    petrel: { samples: { ratings: { Ratings: grpc.ServiceClientConstructor } } };
  }
).petrel.samples.ratings.Ratings;

const target = meshTarget('ratings', 9090);
// Without capture the channel connects to the sidecar and names the service in :authority.
const ratings = new Ratings(`${target.host}:${target.port}`, grpc.credentials.createInsecure(), {
  'grpc.default_authority': target.authority,
});

type RatingsReply = { ratings: Record<string, number>; podname: string };

function getRatings(productId: number, headers: Record<string, string>): Promise<RatingsReply> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) if (k !== 'user-agent') md.set(k, v);
  return new Promise((resolve, reject) => {
    ratings.GetRatings(
      { productId },
      md,
      { deadline: Date.now() + RATINGS_DEADLINE_MS },
      (err: grpc.ServiceError | null, reply: RatingsReply) => (err ? reject(err) : resolve(reply)),
    );
  });
}

const TEXT = [
  [
    'Reviewer1',
    'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!',
  ],
  [
    'Reviewer2',
    'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.',
  ],
] as const;

async function reviews(req: http.IncomingMessage, id: number) {
  let stars: Record<string, number> | undefined;
  let ratingsError: string | undefined;
  let ratingsPod: string | undefined;
  if (VERSION !== 'v1') {
    try {
      const r = await getRatings(id, propagate(req.headers));
      stars = r.ratings;
      ratingsPod = r.podname;
    } catch (err) {
      ratingsError = `Ratings service is currently unavailable (${(err as grpc.ServiceError).details || (err as Error).message})`;
    }
  }
  return {
    id,
    podname: POD_NAME,
    version: VERSION,
    ...(ratingsPod ? { ratingsPod } : {}),
    reviews: TEXT.map(([reviewer, text]) => ({
      reviewer,
      text,
      ...(VERSION === 'v1'
        ? {}
        : {
            rating: stars ? { stars: stars[reviewer] ?? 0, color: COLOR } : { error: ratingsError },
          }),
    })),
  };
}

const server = http.createServer((req, res) => {
  if (req.url === '/health') return sendJson(res, 200, { status: 'Reviews is healthy' });
  const m = /^\/reviews\/(\d+)$/.exec(req.url ?? '');
  if (!m) return sendJson(res, 404, { error: 'please use /reviews/<id>' });
  reviews(req, Number(m[1])).then(
    (body) => sendJson(res, 200, body),
    (err: Error) => sendJson(res, 500, { error: err.message }),
  );
});

serve(`reviews ${VERSION}`, server);
