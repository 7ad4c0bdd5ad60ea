// Istio's chain names and the agent's DNS port, shared by the rule builders.

export const ISTIO_INBOUND = 'ISTIO_INBOUND';
export const ISTIO_IN_REDIRECT = 'ISTIO_IN_REDIRECT';
export const ISTIO_REDIRECT = 'ISTIO_REDIRECT';
export const ISTIO_OUTPUT = 'ISTIO_OUTPUT';
export const ISTIO_OUTPUT_DNS = 'ISTIO_OUTPUT_DNS';
/** The agent's DNS proxy port. */
export const DNS_PROXY_PORT = '15053';
