/** `npm run members`: see server/auth/cli.ts and docs/access.md. */
import { membersCommand, run } from '../server/auth/cli.js';

run(membersCommand);
