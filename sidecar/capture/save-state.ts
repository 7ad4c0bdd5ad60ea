// What Istio-style capture state a network namespace already has, read from
// `iptables-save` output, and the restore input that removes or replaces it.
// Working from the live state (not from the flags) lets --cleanup remove rules
// written with other flags, and lets a re-run replace old rules in one
// iptables-restore transaction instead of failing on "Chain already exists".
import {
  BUILTIN_CHAINS_AND_TARGETS,
  chainsOf,
  ruleLine,
  tablesOf,
  type Rule,
  type Table,
} from './rule-set.ts';

export interface TableState {
  /** User chains named ISTIO_* (Istio's and Petrel's), in save order. */
  chains: string[];
  /** Rules in built-in chains that jump to an ISTIO_* chain, verbatim from iptables-save (`-A ...`). */
  jumps: string[];
  /** Every rule of the table, verbatim. */
  rules: string[];
}

export type SaveState = Partial<Record<Table, TableState>>;

const TABLES = new Set<string>(['filter', 'mangle', 'nat', 'raw']);

function isIstioChain(name: string): boolean {
  return name.startsWith('ISTIO_');
}

/** The chain a `-j`/`--jump` or `-g`/`--goto` targets, if any. */
function jumpTarget(words: string[]): string | undefined {
  for (let i = 0; i < words.length - 1; i++) {
    if (words[i] === '-j' || words[i] === '--jump' || words[i] === '-g' || words[i] === '--goto')
      return words[i + 1];
  }
  return undefined;
}

export function parseSave(text: string): SaveState {
  const state: SaveState = {};
  let table: TableState | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      table = TABLES.has(name)
        ? (state[name as Table] ??= { chains: [], jumps: [], rules: [] })
        : undefined;
      continue;
    }
    if (!table || line === 'COMMIT') continue;
    if (line.startsWith(':')) {
      const chain = line.slice(1).split(/\s+/)[0]!;
      if (isIstioChain(chain) && !table.chains.includes(chain)) table.chains.push(chain);
      continue;
    }
    if (!line.startsWith('-A ')) continue;
    table.rules.push(line);
    const words = line.split(/\s+/);
    const chain = words[1]!;
    const target = jumpTarget(words);
    if (BUILTIN_CHAINS_AND_TARGETS.has(chain) && target !== undefined && isIstioChain(target))
      table.jumps.push(line);
  }
  return state;
}

/** True when the namespace has any Istio-style chain or jump in this family. */
export function hasCaptureState(state: SaveState): boolean {
  return Object.values(state).some((t) => t.chains.length > 0 || t.jumps.length > 0);
}

function deleteLine(saved: string): string {
  return `-D${saved.slice(2)}`;
}

/** Restore input that deletes every Istio jump and chain (nothing when there is none). */
export function cleanupRestore(state: SaveState): string {
  let out = '';
  for (const table of (Object.keys(state) as Table[]).sort()) {
    const t = state[table]!;
    if (t.chains.length === 0 && t.jumps.length === 0) continue;
    out += `* ${table}\n`;
    for (const j of t.jumps) out += `${deleteLine(j)}\n`;
    // Flush all before deleting any: ISTIO chains jump to each other.
    for (const c of t.chains) out += `-F ${c}\n`;
    for (const c of t.chains) out += `-X ${c}\n`;
    out += 'COMMIT\n';
  }
  return out;
}

/**
 * Restore input that replaces whatever Istio state exists with `rules`, per
 * table in one transaction: old jumps deleted, old chains flushed (and
 * removed when no longer wanted), missing chains created, rules appended.
 * With no prior state this is exactly the plain install input.
 */
export function applyRestore(rules: Rule[], state: SaveState): string {
  const tables = [
    ...new Set<Table>([...tablesOf(rules), ...(Object.keys(state) as Table[])]),
  ].sort();
  let out = '';
  for (const table of tables) {
    const old = state[table] ?? { chains: [], jumps: [], rules: [] };
    const wanted = chainsOf(rules, table);
    const mine = rules.filter((r) => r.table === table);
    if (mine.length === 0 && old.chains.length === 0 && old.jumps.length === 0) continue;
    out += `* ${table}\n`;
    for (const j of old.jumps) out += `${deleteLine(j)}\n`;
    for (const c of old.chains) out += `-F ${c}\n`;
    for (const c of old.chains) if (!wanted.includes(c)) out += `-X ${c}\n`;
    for (const c of wanted) if (!old.chains.includes(c)) out += `-N ${c}\n`;
    for (const r of mine) out += `${ruleLine(r)}\n`;
    out += 'COMMIT\n';
  }
  return out;
}
