// `/listeners` as Envoy prints it: `name::address:port` per line, or the
// envoy.admin.v3.Listeners message with ?format=json. The bound address comes
// from the data path when it reports one (a port 0 in config becomes the real
// port); otherwise from the listener's configured socket address.
import type { XdsClientStatus } from '../agent/xds-status.ts';
import type { DataPlaneAdminProvider, ListenerRuntime } from './sources.ts';

function configured(status: XdsClientStatus): ListenerRuntime[] {
  const lds = status.types.find((t) => t.short === 'lds');
  const out: ListenerRuntime[] = [];
  for (const entry of lds?.resources.values() ?? []) {
    const socket = (
      entry.resource.address as
        { socket_address?: { address?: string; port_value?: number } } | undefined
    )?.socket_address;
    out.push({
      name: entry.name,
      address: socket?.address ?? '',
      port: Number(socket?.port_value ?? 0),
    });
  }
  return out;
}

function listenerList(
  status: XdsClientStatus,
  provider?: DataPlaneAdminProvider,
): ListenerRuntime[] {
  const list = provider?.listeners ? [...provider.listeners()] : configured(status);
  return list.sort((a, b) => a.name.localeCompare(b.name));
}

function hostPort(l: ListenerRuntime): string {
  return l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
}

export function listenersText(status: XdsClientStatus, provider?: DataPlaneAdminProvider): string {
  return listenerList(status, provider)
    .map((l) => `${l.name}::${hostPort(l)}\n`)
    .join('');
}

export function listenersJson(
  status: XdsClientStatus,
  provider?: DataPlaneAdminProvider,
): Record<string, unknown> {
  return {
    listener_statuses: listenerList(status, provider).map((l) => ({
      name: l.name,
      local_address: { socket_address: { address: l.address, port_value: l.port } },
    })),
  };
}
