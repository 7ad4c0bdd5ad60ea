// The iptables REDIRECT stand-in the in-process mesh tests share: connections to
// podIp:port are relayed to the sidecar's inbound capture port 15006. A relay may dial
// from its own source address, so an original-destination lookup can tell which app
// port the client dialled (what SO_ORIGINAL_DST would answer).
import net from 'node:net';

export const INBOUND_CAPTURE_PORT = 15006;

export async function startCaptureRelay(
  podIp: string,
  port: number,
  localAddress?: string,
): Promise<net.Server> {
  const relay = net.createServer({ allowHalfOpen: true }, (down) => {
    const up = net.connect({
      host: podIp,
      port: INBOUND_CAPTURE_PORT,
      allowHalfOpen: true,
      ...(localAddress ? { localAddress } : {}),
    });
    down.pipe(up).pipe(down);
    const kill = () => {
      down.destroy();
      up.destroy();
    };
    down.on('error', kill);
    up.on('error', kill);
  });
  await new Promise<void>((resolve, reject) => {
    relay.once('error', reject);
    relay.listen(port, podIp, () => resolve());
  });
  return relay;
}
