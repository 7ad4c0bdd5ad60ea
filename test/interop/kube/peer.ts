// The Kubernetes peers (kube-apiserver, kube-controller-manager, etcd): built by
// build-peers.sh (peers/kube/build-kube.sh) into the cache outside the repo, or
// found there already. A peer that cannot be built throws, so the suite fails
// loudly instead of passing without a real API server.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peerCacheDir } from '../support/peers.ts';

const BUILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'build-peers.sh');

export interface KubeBinaries {
  apiserver: string;
  controllerManager: string;
  etcd: string;
}

let built: KubeBinaries | undefined;

/** Builds the peers if needed (10-20 minutes the first time) and returns their paths. */
export function kubeBinaries(): KubeBinaries {
  if (built) return built;
  try {
    execFileSync('bash', [BUILD_SCRIPT, 'kube'], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    throw new Error(
      `interop peer kube (kube-apiserver, kube-controller-manager, etcd) could not be built by test/interop/build-peers.sh (see its output above): ${(err as Error).message}`,
    );
  }
  const bin = join(peerCacheDir(), 'bin');
  built = {
    apiserver: join(bin, 'kube-apiserver'),
    controllerManager: join(bin, 'kube-controller-manager'),
    etcd: join(bin, 'etcd'),
  };
  return built;
}

/** helm, for rendering the charts (peers/build-helm.sh). */
export function helmBinary(): string {
  try {
    execFileSync('bash', [BUILD_SCRIPT, 'helm'], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (err) {
    throw new Error(
      `interop peer helm could not be built by test/interop/build-peers.sh: ${(err as Error).message}`,
    );
  }
  return join(peerCacheDir(), 'bin', 'helm');
}
