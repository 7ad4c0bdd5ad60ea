// The capture module's error catalogue: one class, stable codes, one line each.

export type CaptureErrorCode =
  /** A capture option has a bad value (port, CIDR, uid, mode); the message names the flag. */
  | 'PETREL_CAPTURE_OPTION'
  /** An option Istio has but Petrel does not implement (e.g. TPROXY interception). */
  | 'PETREL_CAPTURE_UNSUPPORTED'
  /** No usable iptables binary was found (neither nft nor legacy variant). */
  | 'PETREL_CAPTURE_BACKEND'
  /** An iptables / iptables-restore / ip command exited non-zero. */
  | 'PETREL_CAPTURE_COMMAND'
  /** getsockopt(SO_ORIGINAL_DST) failed for a reason other than "not redirected". */
  | 'PETREL_CAPTURE_ORIGINAL_DST';

export class CaptureError extends Error {
  readonly code: CaptureErrorCode;
  constructor(code: CaptureErrorCode, message: string) {
    super(message.replace(/\s*\n\s*/g, ' '));
    this.name = 'CaptureError';
    this.code = code;
  }
}
