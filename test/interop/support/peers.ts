// Where the interop suite finds its reference peers: build-peers.sh builds (or
// finds already built) the named peer in the cache outside the repo. A peer that
// cannot be built throws here, so the suite that claims it fails loudly.
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'build-peers.sh');

export type PeerName = 'grpc-xds-client' | 'pilot-discovery' | 'helm' | 'h2spec';

export function peerCacheDir(): string {
  return process.env.PETREL_INTEROP_CACHE ?? join(homedir(), '.cache', 'petrel-interop');
}

/** Builds `peer` if needed (minutes the first time) and returns the binary's path. */
export function ensurePeer(peer: PeerName): string {
  try {
    execFileSync('bash', [BUILD_SCRIPT, peer], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    throw new Error(
      `interop peer ${peer} could not be built by test/interop/build-peers.sh (see its output above): ${(err as Error).message}`,
    );
  }
  return join(peerCacheDir(), 'bin', peer);
}
