// Where pilot's time went in each phase of a run: the .cpuprofile cut to the
// phase's time window (the scenario records them on the monotonic clock that
// V8 stamps profiles with) and summarised by stage and function.
import type { Profile, SelfTime } from '../support/cpu-profile.ts';
import { shorten, sliceProfile, summarise } from '../support/cpu-profile.ts';

export interface PhaseWindow {
  name: string;
  fromUs: number;
  toUs: number;
}

function rows(list: SelfTime[], top: number): string[] {
  return list
    .slice(0, top)
    .map(
      (r) =>
        `  ${r.ms.toFixed(0).padStart(8)} ms ${(r.share * 100).toFixed(1).padStart(5)}%  ${shorten(r.name)}`,
    );
}

/** Lines describing each phase: busy time by stage, then the top functions by self time. */
export function phaseReport(profile: Profile, phases: readonly PhaseWindow[], top = 12): string[] {
  const out: string[] = [];
  for (const phase of phases) {
    const s = summarise(sliceProfile(profile, phase.fromUs, phase.toUs));
    out.push(
      `phase ${phase.name} (${((phase.toUs - phase.fromUs) / 1e6).toFixed(1)} s wall, µs ${phase.fromUs}..${phase.toUs}): ${s.totalMs.toFixed(0)} ms busy`,
    );
    out.push(...rows(s.byStage, top), '  by function:', ...rows(s.byFunction, top));
  }
  return out;
}
