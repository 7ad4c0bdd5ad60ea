// Every golden scenario under test/golden/translate (each <case>.in.yaml): generated
// LDS/RDS/CDS/EDS match the reviewed golden files, pass Envoy validation and are
// mutually consistent (see support/scenario.ts).
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN_ROOT } from '../../support/golden.ts';
import { runScenario } from './support/scenario.ts';

const SCENARIOS = readdirSync(join(GOLDEN_ROOT, 'translate'))
  .filter((f) => f.endsWith('.in.yaml'))
  .map((f) => f.slice(0, -'.in.yaml'.length))
  .sort();

describe('golden scenarios', () => {
  it('finds the scenarios', () => expect(SCENARIOS.length).toBeGreaterThanOrEqual(10));
  for (const name of SCENARIOS) it(name, () => void runScenario(name));
});
