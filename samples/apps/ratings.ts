// ratings: a gRPC server (petrel.samples.ratings.Ratings/GetRatings) that reviews
// v2 and v3 call through the mesh; the one gRPC hop of the sample.
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import { POD_NAME, listenAddress, onStop } from './common.ts';

const proto = loader.loadSync(fileURLToPath(new URL('./ratings.proto', import.meta.url)), {
  keepCase: false,
  defaults: true,
});
const pkg = grpc.loadPackageDefinition(proto) as unknown as {
  petrel: { samples: { ratings: { Ratings: grpc.ServiceClientConstructor } } };
};

const server = new grpc.Server();
server.addService(pkg.petrel.samples.ratings.Ratings.service, {
  GetRatings(
    call: grpc.ServerUnaryCall<{ productId: number }, unknown>,
    callback: grpc.sendUnaryData<unknown>,
  ) {
    callback(null, {
      productId: call.request.productId,
      ratings: { Reviewer1: 5, Reviewer2: 4 },
      podname: POD_NAME,
    });
  },
});

const { host, port } = listenAddress();
server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    console.error(`ratings: cannot listen on ${host}:${port}: ${err.message}`);
    process.exit(1);
  }
  console.log(`ratings (${POD_NAME}) listening on ${host}:${port} (gRPC)`);
});
onStop(() => server.forceShutdown());
