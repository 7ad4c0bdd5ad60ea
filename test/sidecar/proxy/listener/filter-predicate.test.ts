// filter_disabled on a listener filter: the ports it names skip inspection, and a
// predicate the proxy cannot evaluate before inspection is refused with its field.
import { describe, expect, it } from 'vitest';
import { compileListener } from '../../../../sidecar/proxy/listener/listener-spec.ts';

const range = (p: number) => ({ destination_port_range: { start: p, end: p + 1 } });
const listener = (filterDisabled?: unknown) => ({
  name: 'virtualInbound',
  address: { socket_address: { address: '0.0.0.0', port_value: 15006 } },
  listener_filters: [
    {
      name: 'envoy.filters.listener.http_inspector',
      typed_config: {
        '@type':
          'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector',
      },
      ...(filterDisabled ? { filter_disabled: filterDisabled } : {}),
    },
  ],
  filter_chains: [
    {
      filter_chain_match: { application_protocols: ['http/1.1'] },
      filters: [
        {
          name: 'envoy.filters.network.tcp_proxy',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
            stat_prefix: 'x',
            cluster: 'x',
          },
        },
      ],
    },
  ],
});

describe('listener filter_disabled', () => {
  it('turns inspection off for the ports the predicate names, and only those', () => {
    const { spec, errors } = compileListener(
      'virtualInbound',
      listener({ or_match: { rules: [range(15006), range(8080)] } }),
    );
    expect(errors).toEqual([]);
    expect(spec!.inspect).toBe(true);
    expect(spec!.inspectionOffFor(8080)).toBe(true);
    expect(spec!.inspectionOffFor(15006)).toBe(true);
    expect(spec!.inspectionOffFor(8081)).toBe(false);
  });

  it('inspects every port when no predicate is given', () => {
    expect(compileListener('virtualInbound', listener()).spec!.inspectionOffFor(8080)).toBe(false);
  });

  it('names the field of a predicate it cannot evaluate before inspection', () => {
    const { errors } = compileListener(
      'virtualInbound',
      listener({ not_match: { requested_server_name: 'x' } }),
    );
    expect(errors).toEqual([
      'listener_filters[0].filter_disabled.not_match: only destination_port_range, any_match, not_match, or_match and and_match are supported',
    ]);
  });
});
