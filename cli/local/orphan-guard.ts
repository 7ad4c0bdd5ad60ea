// Preloaded into every child of `petrel local` (node --import): when the supervisor
// dies without stopping its children (SIGKILL, a crash), the child notices its parent
// changed and stops itself, so no process outlives the mesh. Linux's
// PR_SET_PDEATHSIG would do this in the kernel, but Node offers no way to set it.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 500).unref();
