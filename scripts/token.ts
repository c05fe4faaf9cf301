/** `npm run token`: see server/auth/cli.ts and docs/access.md. */
import { tokenCommand, run } from '../server/auth/cli.js';

run(tokenCommand);
