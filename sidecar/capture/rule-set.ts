// An ordered list of iptables rules per IP family, rendered as iptables-restore
// input the way Istio's builder renders it: tables in alphabetical order, each
// table's new chains (`-N`) first, then its rules in the order they were added.

export type Family = 4 | 6;
export type Table = 'filter' | 'mangle' | 'nat' | 'raw';

export interface Rule {
  table: Table;
  chain: string;
  /** Everything after `-A <chain>`. */
  spec: string[];
}

/** Chains and targets that iptables has built in: never created with `-N`. */
export const BUILTIN_CHAINS_AND_TARGETS = new Set([
  'PREROUTING',
  'INPUT',
  'OUTPUT',
  'FORWARD',
  'POSTROUTING',
  'ACCEPT',
  'DROP',
  'RETURN',
  'REJECT',
  'REDIRECT',
  'TPROXY',
  'MARK',
  'CONNMARK',
  'CT',
  'LOG',
  'DNAT',
  'SNAT',
  'MASQUERADE',
]);

/** Stands for the family's own address in a dual-stack rule (Istio's IPVersionSpecific). */
export const VERSIONED = Symbol('versioned');
export type SpecItem = string | typeof VERSIONED;

export class RuleSet {
  readonly v4: Rule[] = [];
  readonly v6: Rule[] = [];
  readonly ipv6: boolean;

  constructor(ipv6: boolean) {
    this.ipv6 = ipv6;
  }

  appendV4(table: Table, chain: string, ...spec: string[]): void {
    this.v4.push({ table, chain, spec });
  }

  /** IPv6 rules exist only when IPv6 capture is enabled, as in Istio. */
  appendV6(table: Table, chain: string, ...spec: string[]): void {
    if (this.ipv6) this.v6.push({ table, chain, spec });
  }

  append(table: Table, chain: string, ...spec: string[]): void {
    this.appendV4(table, chain, ...spec);
    this.appendV6(table, chain, ...spec);
  }

  /** One rule for both families, with VERSIONED replaced by `v4` or `v6`. */
  appendVersioned(v4: string, v6: string, table: Table, chain: string, ...spec: SpecItem[]): void {
    this.appendV4(table, chain, ...spec.map((s) => (s === VERSIONED ? v4 : s)));
    this.appendV6(table, chain, ...spec.map((s) => (s === VERSIONED ? v6 : s)));
  }

  rules(family: Family): Rule[] {
    return family === 4 ? this.v4 : this.v6;
  }
}

/** The `-N` chains of one table: chains that hold rules, then chains only jumped to. */
export function chainsOf(rules: Rule[], table: Table): string[] {
  const chains: string[] = [];
  const add = (name: string): void => {
    if (!BUILTIN_CHAINS_AND_TARGETS.has(name) && !chains.includes(name)) chains.push(name);
  };
  const inTable = rules.filter((r) => r.table === table);
  for (const r of inTable) add(r.chain);
  for (const r of inTable) {
    const j = r.spec.lastIndexOf('-j');
    if (j >= 0 && j === r.spec.length - 2) add(r.spec[j + 1]!);
  }
  return chains;
}

export function tablesOf(rules: Rule[]): Table[] {
  return [...new Set(rules.map((r) => r.table))].sort();
}

export function ruleLine(r: Rule, op = '-A'): string {
  return [op, r.chain, ...r.spec].join(' ');
}

/** iptables-restore input creating every chain and rule of `family` (empty when there are none). */
export function renderRestore(rules: Rule[]): string {
  let out = '';
  for (const table of tablesOf(rules)) {
    out += `* ${table}\n`;
    for (const chain of chainsOf(rules, table)) out += `-N ${chain}\n`;
    for (const r of rules) if (r.table === table) out += `${ruleLine(r)}\n`;
    out += 'COMMIT\n';
  }
  return out;
}
