// Small builders for Envoy message shapes used everywhere (object form: snake_case
// fields, enums by name, wrappers as { value }, Duration as "1.5s").
import { envoyDuration, parseDurationMs } from '../../../api/istio/duration.ts';
import { UDPA_TYPED_STRUCT } from './type-urls.ts';

/** An ADS config source, as Istio writes it for RDS/EDS (wait for the resource forever: 0s). */
export function adsConfigSource(): Record<string, unknown> {
  return { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' };
}

export function socketAddress(address: string, port: number): Record<string, unknown> {
  return { socket_address: { address, port_value: port } };
}

export function u32(value: number): { value: number } {
  return { value };
}

/** Envoy Duration of a Go duration string ("1.5s", "100ms"); undefined input stays undefined. */
export function goDuration(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const ms = parseDurationMs(text);
  return ms === undefined ? undefined : envoyDuration(ms);
}

/** Whole seconds of a Go duration string (CORS max_age is a string of seconds). */
export function goDurationSeconds(text: string): number {
  return Math.trunc((parseDurationMs(text) ?? 0) / 1000);
}

/** Envoy FractionalPercent of an Istio Percent (0..100 with decimals): per million, as Istio does. */
export function fractionOfPercent(percent: number): Record<string, unknown> {
  return { numerator: Math.round(percent * 10_000), denominator: 'MILLION' };
}

/** Envoy FractionalPercent of a whole percentage (Istio's deprecated integer percent fields). */
export function fractionOfInteger(percent: number): Record<string, unknown> {
  return { numerator: percent, denominator: 'HUNDRED' };
}

/**
 * Istio's TCP metadata exchange (istio-proxy's `istio.metadata_exchange`, sent as a
 * TypedStruct since its proto is not Envoy's): on inbound TCP chains it answers a
 * client that negotiated ALPN istio-peer-exchange with this workload's metadata;
 * outbound ISTIO_MUTUAL clusters carry the same filter (cluster/tls.ts).
 */
export const METADATA_EXCHANGE_FILTER: Readonly<Record<string, unknown>> = Object.freeze({
  name: 'istio.metadata_exchange',
  typed_config: {
    '@type': UDPA_TYPED_STRUCT,
    type_url: 'type.googleapis.com/envoy.tcp.metadataexchange.config.MetadataExchange',
    value: { protocol: 'istio-peer-exchange' },
  },
});
