#!/usr/bin/env node
// The one executable: `petrel <subcommand>`, so one image serves every role.
import { run } from './main.ts';

process.exitCode = await run(process.argv.slice(2));
