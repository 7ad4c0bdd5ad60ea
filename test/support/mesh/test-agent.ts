// How the in-process mesh tests run a proxy's agent: every port picked by the OS,
// probes on loopback, no signal handlers and no process exit.
import { startAgent, type Agent, type AgentOptions } from '../../../sidecar/agent/agent.ts';

export function startTestAgent(options: AgentOptions): Promise<Agent> {
  return startAgent({
    adminPort: 0,
    statusPort: 0,
    healthPort: 0,
    probeHost: '127.0.0.1',
    handleSignals: false,
    exit: () => {},
    ...options,
  });
}

/** Resolves once the agent reports ready; throws naming `who` and the reason after `ms`. */
export async function untilAgentReady(agent: Agent, who: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!agent.readiness.check().ready && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const readiness = agent.readiness.check();
  if (!readiness.ready) throw new Error(`${who} not ready in ${ms} ms: ${readiness.reason}`);
}

/** Closes the agent's xDS stream, then its admin, health and status servers. */
export async function closeTestAgent(agent: Agent): Promise<void> {
  await agent.xds.close();
  await Promise.all([agent.admin.close(), agent.health.close(), agent.status.close()]);
}
