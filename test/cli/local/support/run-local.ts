// Runs `petrel local` with the given flags, as cli/petrel.ts would dispatch it.
import { localCommand } from '../../../../cli/commands/local.ts';

process.exitCode = await localCommand.run(process.argv.slice(2));
