// A process's CPU time and memory from /proc (Linux): utime+stime from
// /proc/PID/stat, VmRSS (now) and VmHWM (peak) from /proc/PID/status.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcSample {
  /** utime + stime, seconds. */
  cpuSeconds: number;
  rssMiB: number;
  hwmMiB: number;
}

let ticks: number | undefined;

function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100; // the Linux default USER_HZ
    }
  }
  return ticks;
}

function statusKiB(status: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return m ? Number(m[1]) : Number.NaN;
}

/** The sample, or undefined once the process is gone. */
export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after its ')' are fixed.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[11]);
    const stime = Number(rest[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return {
      cpuSeconds: (utime + stime) / clockTicks(),
      rssMiB: statusKiB(status, 'VmRSS') / 1024,
      hwmMiB: statusKiB(status, 'VmHWM') / 1024,
    };
  } catch {
    return undefined;
  }
}
