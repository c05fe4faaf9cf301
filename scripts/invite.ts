/** `npm run invite`: see server/auth/cli.ts and docs/access.md. */
import { inviteCommand, run } from '../server/auth/cli.js';

run(inviteCommand);
